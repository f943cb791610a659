/**
 * @module capture/pcap/test-tools
 * Test support: runs Wireshark's command-line tools (tshark, editcap, capinfos) as the
 * independent oracle for what a capture holds, and skips (or, under CI=true, fails) tests when a
 * tool is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import type { StreamEvent } from '../../streams/events.ts';
import { oraclesRoot } from '../../fuzz/seeds.ts';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEMO = join(REPO, 'samples/demo.pcapng');
export const DEMO_ANY = join(REPO, 'samples/demo-any.pcapng');
/** The third-party captures, beside the repository (`../shared/oracles`) or at $FLOWSCOPE_ORACLES. */
export const ORACLES = oraclesRoot();

const available = new Map<string, boolean>();

export function hasTool(name: string): boolean {
  let ok = available.get(name);
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
    available.set(name, ok);
  }
  return ok;
}

/** False (test skipped with the reason) when a tool is missing; under CI=true a missing tool fails. */
export function requireTools(t: TestContext, ...names: string[]): boolean {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length === 0) return true;
  const reason = `needs ${missing.join(', ')} (apt-get install tshark)`;
  if (process.env.CI === 'true') throw new Error(`${reason}: required under CI`);
  t.skip(reason);
  return false;
}

export function run(tool: string, args: string[]): string {
  return execFileSync(tool, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** tshark -T fields output: one array of field values per packet. */
export function tsharkFields(file: string, fields: string[], extra: string[] = []): string[][] {
  const args = ['-r', file, '-T', 'fields', '-E', 'occurrence=f', ...extra, ...fields.flatMap((f) => ['-e', f])];
  const out = run('tshark', args);
  return out.split('\n').filter((l) => l.length > 0).map((l) => l.split('\t'));
}

/** Number of packets tshark's capinfos counts in each file. */
export function capinfosCounts(files: string[]): Map<string, number> {
  const out = spawnSync('capinfos', ['-c', '-M', '-T', '-r', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const counts = new Map<string, number>();
  for (const line of out.stdout.split('\n')) {
    const [name, count] = line.split('\t');
    if (name && count && /^\d+$/.test(count.trim())) counts.set(name, Number(count));
  }
  return counts;
}

export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'flowscope-pcap-test-'));
  file(name: string, bytes?: Uint8Array): string {
    const p = join(this.path, name);
    if (bytes) writeFileSync(p, bytes);
    return p;
  }
  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** A sink that keeps every event. */
export class Recorder {
  readonly events: StreamEvent[] = [];
  onEvent(e: StreamEvent): void {
    this.events.push(e);
  }
  of<K extends StreamEvent['kind']>(kind: K): Extract<StreamEvent, { kind: K }>[] {
    return this.events.filter((e): e is Extract<StreamEvent, { kind: K }> => e.kind === kind);
  }
  /** Concatenated captured bytes of one direction of one connection, as text. */
  stream(conn: number, dir: 0 | 1): string {
    const parts = this.of('data').filter((e) => e.conn === conn && e.dir === dir).map((e) => Buffer.from(e.bytes).toString('latin1'));
    return parts.join('');
  }
}
