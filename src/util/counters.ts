/**
 * @module util/counters
 * Named self-metrics. Every drop, loss, gap and parse error in the pipeline increments one of
 * these, so users can see what was lost and why. Cheap enough for the hot path (a Map lookup).
 */
export class Counters {
  private readonly values = new Map<string, number>();

  add(name: string, by = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.values.get(name) ?? 0;
  }

  /** All counters, sorted by name, as a plain object (for JSON and the table footer). */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const key of [...this.values.keys()].sort()) out[key] = this.values.get(key)!;
    return out;
  }
}
