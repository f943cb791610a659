/**
 * @module store/writer
 * Batches rows into the store: by size (default 10K rows) and by time (default 1 s), one insert
 * in flight at a time, through a bounded buffer. When the store falls behind, the oldest unsent
 * rows are dropped and counted in `store.dropped_records`; memory never grows without bound.
 * Failed inserts are retried with backoff, counted (`store.write_errors`) and logged once per
 * kind of error. `close()` flushes everything accepted before it.
 */
import type { RequestRecord } from '../records/record.ts';
import { Counters } from '../util/counters.ts';
import { recordToValues, rowToValues } from './rows.ts';
import type { RequestRow, RowValues } from './rows.ts';
import { REQUEST_COLUMNS } from './schema.ts';
import type { Store } from './store.ts';

export interface RecordWriterOptions {
  counters?: Counters;
  /** Host name stamped on rows made from records. Default: the `HOSTNAME` env or 'localhost'. */
  host?: string;
  /** Rows per insert. Default 10 000. */
  batchRows?: number;
  /** Longest a row waits before a (partial) batch is sent. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Rows held (not yet sent) before the oldest are dropped. Default 200 000. */
  maxBufferedRows?: number;
  /** Attempts per batch before it is dropped (counted). Default 5. */
  maxAttempts?: number;
  /** First retry delay, doubled per attempt up to 5 s. Default 100 ms. */
  retryDelayMs?: number;
  /** Where the first error of each kind is reported. Default console.error. */
  log?: (message: string) => void;
  /** Target table. Default 'requests'. */
  table?: string;
}

interface Ack {
  resolve(): void;
  reject(err: Error): void;
}

interface Chunk {
  seq: number;
  rows: RowValues[];
  /** Time the first row was accepted (ms), for the lag gauge. */
  acceptedAt: number;
  ack: Ack | null;
  attempts: number;
}

/** Rows appended by `write()` share a chunk up to this size; drops happen a chunk at a time. */
const CHUNK_ROWS = 1000;

/** Rows were dropped before reaching the store (buffer overflow or repeated insert failures). */
export class DroppedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DroppedError';
  }
}

/**
 * Writes records to a Store in batches. Not thread-safe in the worker_threads sense; safe to call
 * from any callback on the event loop. `write` never throws and never blocks.
 * @example
 *   const writer = new RecordWriter(store, { counters });
 *   table = new ConnectionTable((r) => writer.write(r));
 *   ...
 *   await writer.close();
 */
export class RecordWriter {
  readonly counters: Counters;
  private readonly host: string;
  private readonly batchRows: number;
  private readonly flushIntervalMs: number;
  private readonly maxBufferedRows: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly log: (message: string) => void;
  private readonly table: string;
  private readonly queue: Chunk[] = [];
  private queuedRows = 0;
  private inFlight: Chunk[] | null = null;
  private nextSeq = 1;
  private readonly waiters: { through: number; resolve(): void }[] = [];
  private readonly loggedKinds = new Set<string>();
  private retryTimer: NodeJS.Timeout | null = null;
  /** Runs while rows wait, so a partial batch goes out after flushIntervalMs; holds the process open until then. */
  private tick: NodeJS.Timeout | null = null;
  private readonly chunkRows: number;
  private closed = false;
  private lastInsertMs = 0;

  constructor(private readonly store: Store, options: RecordWriterOptions = {}) {
    this.counters = options.counters ?? new Counters();
    this.host = options.host ?? process.env.HOSTNAME ?? 'localhost';
    this.batchRows = options.batchRows ?? 10_000;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.maxBufferedRows = options.maxBufferedRows ?? 200_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.log = options.log ?? ((m) => console.error(m));
    this.table = options.table ?? 'requests';
    if (this.batchRows < 1 || this.maxBufferedRows < this.batchRows) throw new Error('writer: need 1 <= batchRows <= maxBufferedRows');
    this.chunkRows = Math.min(CHUNK_ROWS, this.batchRows);
  }

  /** Accept one record. Never throws; drops (counted) when closed or over the bound. */
  write(record: RequestRecord): void {
    if (this.closed) {
      this.counters.add('store.dropped_records');
      return;
    }
    const row = recordToValues(record, this.host);
    const tail = this.queue[this.queue.length - 1];
    if (tail && tail.ack === null && tail.attempts === 0 && tail.rows.length < this.chunkRows) tail.rows.push(row);
    else this.queue.push({ seq: this.nextSeq++, rows: [row], acceptedAt: Date.now(), ack: null, attempts: 0 });
    this.queuedRows++;
    this.counters.add('store.accepted_records');
    this.enforceBound();
    if (this.queuedRows >= this.batchRows) this.pump(false);
    this.armTick();
  }

  /**
   * Accept rows that were already made (by an agent) and resolve once they are in the store.
   * Rejects with DroppedError if they were dropped instead, so the sender can retry.
   */
  writeRows(rows: readonly RequestRow[]): Promise<void> {
    return this.writeValues(rows.map(rowToValues));
  }

  /** Like writeRows, for rows already turned into values by `rowToValues`. */
  writeValues(rows: RowValues[]): Promise<void> {
    if (this.closed) return Promise.reject(new DroppedError('writer is closed'));
    if (rows.length === 0) return Promise.resolve();
    if (rows.length > this.maxBufferedRows) return Promise.reject(new DroppedError(`batch of ${rows.length} rows exceeds the buffer of ${this.maxBufferedRows}`));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ seq: this.nextSeq++, rows, acceptedAt: Date.now(), ack: { resolve, reject }, attempts: 0 });
      this.queuedRows += rows.length;
      this.counters.add('store.accepted_records', rows.length);
      this.enforceBound();
      this.pump(this.queuedRows >= this.batchRows);
      this.armTick();
    });
  }

  /** Resolves when every row accepted before the call is stored or dropped. */
  flush(): Promise<void> {
    const through = this.nextSeq - 1;
    if (this.oldestOutstanding() > through) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiters.push({ through, resolve });
      this.pump(true);
    });
  }

  /** Stop accepting, flush what was accepted, stop timers. Does not close the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    if (this.tick) clearTimeout(this.tick);
    this.tick = null;
  }

  /** Gauges for health: rows waiting, age of the oldest, whether an insert is running. */
  stats(): { pending_rows: number; lag_ms: number; in_flight_rows: number; last_insert_ms: number } {
    const oldest = this.inFlight?.[0]?.acceptedAt ?? this.queue[0]?.acceptedAt;
    const inFlightRows = this.inFlight ? this.inFlight.reduce((n, c) => n + c.rows.length, 0) : 0;
    return {
      pending_rows: this.queuedRows + inFlightRows,
      lag_ms: oldest === undefined ? 0 : Date.now() - oldest,
      in_flight_rows: inFlightRows,
      last_insert_ms: this.lastInsertMs,
    };
  }

  private armTick(): void {
    if (this.tick || this.queue.length === 0) return;
    const oldest = this.queue[0]!;
    const wait = Math.max(0, this.flushIntervalMs - (Date.now() - oldest.acceptedAt));
    this.tick = setTimeout(() => {
      this.tick = null;
      const first = this.queue[0];
      if (first && Date.now() - first.acceptedAt >= this.flushIntervalMs) this.pump(true);
      this.armTick();
    }, wait);
  }

  /** Drop the oldest queued chunks (never the one in flight) until within the bound. */
  private enforceBound(): void {
    while (this.queuedRows > this.maxBufferedRows && this.queue.length > 0) {
      const chunk = this.queue.shift()!;
      this.queuedRows -= chunk.rows.length;
      this.drop(chunk, 'the store is not keeping up (buffer full)');
    }
    this.settleWaiters();
  }

  private drop(chunk: Chunk, why: string): void {
    this.counters.add('store.dropped_records', chunk.rows.length);
    this.logOnce(`drop:${why}`, `store writer: dropping rows: ${why}`);
    chunk.ack?.reject(new DroppedError(`rows dropped: ${why}`));
  }

  private pump(force: boolean): void {
    if (this.inFlight || this.retryTimer || this.queue.length === 0) return;
    if (!force && this.queuedRows < this.batchRows) return;
    const batch: Chunk[] = [];
    let rows = 0;
    while (this.queue.length > 0 && (batch.length === 0 || rows + this.queue[0]!.rows.length <= this.batchRows)) {
      const c = this.queue.shift()!;
      batch.push(c);
      rows += c.rows.length;
    }
    this.queuedRows -= rows;
    this.inFlight = batch;
    const body = batch.length === 1 ? batch[0]!.rows : batch.flatMap((c) => c.rows);
    const started = Date.now();
    this.store.insertRows(this.table, REQUEST_COLUMNS, body).then(
      () => {
        this.lastInsertMs = Date.now() - started;
        this.inFlight = null;
        this.counters.add('store.inserted_records', rows);
        this.counters.add('store.inserted_batches');
        for (const c of batch) c.ack?.resolve();
        this.afterInsert();
      },
      (err: unknown) => {
        this.inFlight = null;
        const message = (err as Error)?.message ?? String(err);
        this.counters.add('store.write_errors');
        this.logOnce(`write:${errorKind(message)}`, `store writer: insert of ${rows} rows failed (retrying): ${message}`);
        const attempts = Math.max(...batch.map((c) => c.attempts)) + 1;
        if (attempts >= this.maxAttempts) {
          for (const c of batch) this.drop(c, `insert failed ${attempts} times`);
        } else {
          for (const c of batch) c.attempts = attempts;
          this.queue.unshift(...batch);
          this.queuedRows += rows;
          this.enforceBound();
          const delay = Math.min(5000, this.retryDelayMs * 2 ** (attempts - 1));
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            this.pump(true);
          }, delay);
        }
        this.afterInsert();
      },
    );
  }

  private afterInsert(): void {
    this.settleWaiters();
    this.armTick();
    const urgent = this.waiters.length > 0 || this.closed;
    this.pump(urgent || this.queuedRows >= this.batchRows);
  }

  private oldestOutstanding(): number {
    return this.inFlight?.[0]?.seq ?? this.queue[0]?.seq ?? Infinity;
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const oldest = this.oldestOutstanding();
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.through < oldest) this.waiters.splice(i, 1)[0]!.resolve();
    }
  }

  private logOnce(kind: string, message: string): void {
    if (this.loggedKinds.has(kind)) return;
    this.loggedKinds.add(kind);
    this.log(message);
  }
}

/** Group error messages by their shape: numbers and quoted text removed. */
export function errorKind(message: string): string {
  return message.split('\n')[0]!.replace(/'[^']*'|"[^"]*"|\d+/g, '#').slice(0, 120);
}
