/**
 * @module capture/ebpf/live-source
 * Live capture: runs the socket tracer and turns its events into connection-stream events for a
 * StreamEventSink (the connection table). Polls the ring buffer on a timer with bounded work per
 * tick (the kernel never wakes us: events are submitted with BPF_RB_NO_WAKEUP).
 *
 * Lifetime: `start()` loads and attaches (throws NotSupportedError/LoadError), `stop()` drains
 * the ring, closes every open connection ('end') and detaches. Use from one thread.
 */
import type { StreamEventSink } from '../../streams/events.ts';
import { Counters } from '../../util/counters.ts';
import { ProcessTable } from '../../process/process-table.ts';
import { SocketTracer } from './socket-tracer.ts';
import type { KernelStats, SocketTracerOptions } from './socket-tracer.ts';
import { EventTranslator } from './translate.ts';
import type { Classifier } from './translate.ts';
import type { KernelEvent } from './abi.ts';
import { getLibc } from './libbpf.ts';

export interface LiveSourceOptions extends SocketTracerOptions {
  counters?: Counters;
  processes?: ProcessTable;
  /** Poll period; also the most a record waits in the ring. Default 10 ms. */
  pollIntervalMs?: number;
  /** Events handled per tick before yielding to the event loop. Default 20000. */
  budgetPerTick?: number;
  /** User-space event filter (process name, port); rejected events are counted and dropped. */
  accept?: (event: KernelEvent) => boolean;
  /** Recognises protocols from first bytes, so the kernel keeps sending a socket's payload. */
  classify?: Classifier;
}

const STATS_INTERVAL_MS = 1000;
const PROCESS_SWEEP_MS = 5000;

/** CLOCK_REALTIME - CLOCK_MONOTONIC in ns, from the tightest of a few paired readings. */
export function bootToEpochOffsetNs(): bigint {
  const libc = getLibc();
  let best = 0n;
  let bestSpread = -1n;
  for (let i = 0; i < 5; i++) {
    const m0 = libc.clockNs(1);
    const r = libc.clockNs(0);
    const m1 = libc.clockNs(1);
    const spread = m1 - m0;
    if (bestSpread < 0n || spread < bestSpread) {
      bestSpread = spread;
      best = r - (m0 + spread / 2n);
    }
  }
  return best;
}

export class LiveSource {
  readonly counters: Counters;
  readonly processes: ProcessTable;
  private tracer: SocketTracer | null = null;
  private translator: EventTranslator | null = null;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private offsetNs = 0n;
  private lastStatsAt = 0;
  private lastSweepAt = 0;
  private reportedLost = 0;
  private readonly pollIntervalMs: number;
  private readonly budget: number;

  constructor(
    private readonly sink: StreamEventSink,
    private readonly options: LiveSourceOptions = {},
  ) {
    this.counters = options.counters ?? new Counters();
    this.processes = options.processes ?? new ProcessTable();
    this.pollIntervalMs = options.pollIntervalMs ?? 10;
    this.budget = options.budgetPerTick ?? 20000;
  }

  get running(): boolean {
    return this.tracer !== null;
  }

  /** Loads and attaches the tracer and starts polling. Throws typed errors from the loader. */
  start(): void {
    if (this.tracer) return;
    this.offsetNs = bootToEpochOffsetNs();
    const tracer = SocketTracer.open(this.options);
    this.tracer = tracer;
    this.translator = new EventTranslator(this.sink, {
      counters: this.counters,
      toEpochNs: (t) => t + this.offsetNs,
      resolveProcess: (pid, comm) => this.processes.lookup(pid, comm),
      classify: this.options.classify,
      onInteresting: (id) => {
        if (!tracer.markInteresting(id)) this.counters.add('capture.mark_failed');
      },
      classifyEvents: this.options.detectEvents,
    });
    this.timer = setInterval(() => this.tick(), this.pollIntervalMs);
  }

  /** Handles up to one budget of events now. Returns how many were read. */
  poll(): number {
    const tracer = this.tracer;
    const translator = this.translator;
    if (!tracer || !translator) return 0;
    const accept = this.options.accept;
    const n = tracer.read((ev) => {
      if (accept && !accept(ev)) {
        this.counters.add('capture.events_filtered');
        return;
      }
      try {
        translator.push(ev);
      } catch (err) {
        // A bug downstream must not stop capture: count it, keep the first message.
        this.counters.add('capture.sink_errors');
        if (this.counters.get('capture.sink_errors') === 1) process.emitWarning(`flowscope: stream sink failed: ${(err as Error).stack ?? err}`);
      }
    }, this.budget);
    const now = Date.now();
    if (now - this.lastStatsAt >= STATS_INTERVAL_MS) this.refreshKernelStats(now);
    if (now - this.lastSweepAt >= PROCESS_SWEEP_MS) {
      this.lastSweepAt = now;
      translator.closeWhere((pid) => !this.processes.alive(pid), this.nowEpochNs());
    }
    return n;
  }

  /** Kernel-side counters (lost events, quiet sockets). */
  kernelStats(): KernelStats | null {
    return this.tracer?.kernelStats() ?? null;
  }

  /** Drains what is left, closes every connection and detaches the programs. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    if (!this.tracer) return;
    for (let i = 0; i < 100 && this.poll() > 0; i++);
    this.refreshKernelStats(Date.now());
    this.translator?.flush(this.nowEpochNs());
    this.tracer.close();
    this.tracer = null;
    this.translator = null;
  }

  private tick(): void {
    this.immediate = null;
    const n = this.poll();
    // A full budget means more is waiting: keep draining, but let the event loop breathe.
    if (n >= this.budget && this.tracer && !this.immediate) this.immediate = setImmediate(() => this.tick());
  }

  private refreshKernelStats(now: number): void {
    this.lastStatsAt = now;
    const stats = this.tracer?.kernelStats();
    if (!stats) return;
    if (stats.lost > this.reportedLost) {
      this.counters.add('capture.events_lost_kernel', stats.lost - this.reportedLost);
      this.reportedLost = stats.lost;
    }
    const malformed = this.tracer?.malformed ?? 0;
    const seen = this.counters.get('capture.malformed_records');
    if (malformed > seen) this.counters.add('capture.malformed_records', malformed - seen);
  }

  private nowEpochNs(): bigint {
    return getLibc().clockNs(0);
  }
}
