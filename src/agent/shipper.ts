/**
 * @module agent/shipper
 * Ships records from an agent to a flowscope server: rows batched (by count and time), gzip'd,
 * POSTed with a bearer token, retried with exponential backoff. While the server is away,
 * batches go to a bounded disk spool (see spool.ts) and are sent oldest first once it is back,
 * so a server restart loses nothing within the spool's bound. Without a spool, a small memory
 * queue holds batches and the oldest are dropped (counted in `agent.dropped_records`).
 *
 * Delivery is at-least-once: the server answers only after the batch is in the store, and a
 * batch is deleted only after that answer.
 */
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { hostname } from 'node:os';
import type { RequestRecord } from '../records/record.ts';
import { Counters } from '../util/counters.ts';
import { recordToRow } from '../store/rows.ts';
import { Spool } from './spool.ts';
import type { SpooledBatch } from './spool.ts';

const gzipAsync = promisify(gzip);

export interface ShipperOptions {
  /** Server base URL, e.g. http://flowscope.internal:7070 */
  server: string;
  token?: string;
  /** Host name stamped on every row. Default os.hostname(). */
  host?: string;
  /** Rows per batch. Default 5000. */
  batchRows?: number;
  /** Longest a row waits before a partial batch is sealed. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Directory for batches the server has not taken yet; no spool when absent. */
  spoolDir?: string;
  /** Spool bound in bytes (compressed). Default 256 MiB. */
  spoolMaxBytes?: number;
  /** Batches kept in memory before spilling to the spool (or dropping). Default 4. */
  maxMemoryBatches?: number;
  /** Per-request timeout. Default 15 s. */
  requestTimeoutMs?: number;
  /** First retry delay, doubled per failure. Default 500 ms. */
  retryBaseMs?: number;
  /** Longest retry delay. Default 30 s. */
  retryMaxMs?: number;
  counters?: Counters;
  log?: (message: string) => void;
}

export interface Shipper {
  /** Accept a record; never throws, never blocks on the network. */
  onRecord(record: RequestRecord): void;
  /** Resolves when everything accepted so far reached the server (waits through outages). */
  flush(): Promise<void>;
  /**
   * Stop: seal the open batch, try to deliver for up to `timeoutMs` (default 5 s), then leave the
   * rest in the spool for the next start (or count it dropped when there is no spool).
   */
  close(timeoutMs?: number): Promise<void>;
  stats(): { memory_batches: number; spool_batches: number; spool_bytes: number; open_rows: number; retry_delay_ms: number };
}

interface MemoryBatch {
  data: Buffer;
  rows: number;
}

type Outcome = 'sent' | 'rejected' | 'retry';

/**
 * Start shipping. The returned `onRecord` is the seam for any record source (live capture,
 * replay, stdin).
 * @example
 *   const shipper = startShipper({ server: 'http://srv:7070', token, spoolDir: '/var/lib/flowscope/spool' });
 *   const table = new ConnectionTable(shipper.onRecord);
 */
export function startShipper(options: ShipperOptions): Shipper {
  const counters = options.counters ?? new Counters();
  const log = options.log ?? ((m: string) => console.error(m));
  const host = options.host ?? hostname();
  const batchRows = options.batchRows ?? 5000;
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  const maxMemoryBatches = options.maxMemoryBatches ?? 4;
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  const retryBase = options.retryBaseMs ?? 500;
  const retryMax = options.retryMaxMs ?? 30_000;
  let ingestUrl: string;
  try {
    ingestUrl = new URL('/api/v1/ingest', options.server).toString();
  } catch {
    throw new Error(`agent: --server ${JSON.stringify(options.server)} is not a URL (expected http://host:7070)`);
  }
  const spool = options.spoolDir ? new Spool(options.spoolDir, options.spoolMaxBytes ?? 256 * 1024 * 1024, counters) : null;
  const memory: MemoryBatch[] = [];
  let open: string[] = [];
  let openSince = 0;
  let sealing = 0;
  let delay = 0;
  let closed = false;
  let stopped = false;
  let wake: (() => void) | null = null;
  let idleWaiters: (() => void)[] = [];
  const logged = new Set<string>();
  const logOnce = (kind: string, message: string) => {
    if (logged.has(kind)) return;
    logged.add(kind);
    log(message);
  };

  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  const enqueue = (batch: MemoryBatch) => {
    if (spool && (spool.size > 0 || memory.length >= maxMemoryBatches)) {
      spool.put(batch.data, batch.rows);
    } else {
      memory.push(batch);
      while (memory.length > maxMemoryBatches) {
        const old = memory.shift()!;
        counters.add('agent.dropped_records', old.rows);
        logOnce('drop', 'agent: server not keeping up and no spool: dropping oldest batches');
      }
    }
    notify();
  };

  const seal = () => {
    if (open.length === 0) return;
    const lines = open;
    open = [];
    sealing++;
    gzipAsync(Buffer.from(lines.join('\n') + '\n'), { level: 1 }).then(
      (data) => {
        sealing--;
        enqueue({ data, rows: lines.length });
      },
      (err: unknown) => {
        sealing--;
        counters.add('agent.dropped_records', lines.length);
        logOnce('gzip', `agent: compressing a batch failed: ${(err as Error).message}`);
        notify();
      },
    );
  };

  const tick = setInterval(() => {
    if (open.length > 0 && Date.now() - openSince >= flushIntervalMs) seal();
  }, Math.max(10, Math.floor(flushIntervalMs / 2)));
  tick.unref();

  const post = async (data: Buffer, rows: number): Promise<Outcome> => {
    let res: Response;
    try {
      res = await fetch(ingestUrl, {
        method: 'POST',
        body: data,
        headers: {
          'content-type': 'application/x-ndjson',
          'content-encoding': 'gzip',
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (err) {
      counters.add('agent.send_errors');
      logOnce('network', `agent: cannot reach ${ingestUrl} (will retry, spooling meanwhile): ${(err as Error).message}`);
      return 'retry';
    }
    const body = await res.text().catch(() => '');
    if (res.ok) {
      counters.add('agent.sent_records', rows);
      counters.add('agent.sent_batches');
      return 'sent';
    }
    counters.add('agent.send_errors');
    if (res.status === 400 || res.status === 413 || res.status === 415) {
      counters.add('agent.rejected_records', rows);
      logOnce(`status${res.status}`, `agent: server rejected a batch of ${rows} rows (${res.status}): ${body.slice(0, 300)}`);
      return 'rejected';
    }
    logOnce(`status${res.status}`, `agent: server answered ${res.status} (will retry): ${body.slice(0, 300)}`);
    return 'retry';
  };

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      wake = null;
      resolve();
    }, ms);
    wake = () => {
      clearTimeout(t);
      resolve();
    };
  });

  const settleIdle = () => {
    if (memory.length === 0 && (spool?.size ?? 0) === 0 && open.length === 0 && sealing === 0) {
      const ws = idleWaiters;
      idleWaiters = [];
      for (const w of ws) w();
    }
  };

  const loop = (async () => {
    while (!stopped) {
      let fromSpool: SpooledBatch | null = spool?.oldest() ?? null;
      let fromMemory: MemoryBatch | null = null;
      let data: Buffer;
      let rows: number;
      if (fromSpool) {
        try {
          data = spool!.read(fromSpool);
        } catch (err) {
          logOnce('spoolread', `agent: unreadable spool file ${fromSpool.name}, dropping it: ${(err as Error).message}`);
          counters.add('agent.spool_dropped_records', fromSpool.rows);
          spool!.remove(fromSpool);
          continue;
        }
        rows = fromSpool.rows;
      } else if (memory.length > 0) {
        fromMemory = memory[0]!;
        data = fromMemory.data;
        rows = fromMemory.rows;
      } else {
        settleIdle();
        await sleep(60_000);
        continue;
      }
      const outcome = await post(data, rows);
      if (outcome === 'retry') {
        if (fromMemory && spool) {
          // Keep it on disk while the server is away; memory stays for fresh batches.
          memory.shift();
          spool.put(fromMemory.data, fromMemory.rows);
          fromSpool = null;
        }
        delay = delay === 0 ? retryBase : Math.min(retryMax, delay * 2);
        if (stopped) break;
        await sleep(delay);
        continue;
      }
      delay = 0;
      if (fromSpool) spool!.remove(fromSpool);
      else if (fromMemory) memory.shift();
    }
  })();

  const shipper: Shipper = {
    onRecord(record: RequestRecord): void {
      if (closed) {
        counters.add('agent.dropped_records');
        return;
      }
      if (open.length === 0) openSince = Date.now();
      open.push(JSON.stringify(recordToRow(record, host)));
      counters.add('agent.records');
      if (open.length >= batchRows) seal();
    },
    flush(): Promise<void> {
      seal();
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        // A sealing batch enqueues itself and wakes the loop; otherwise wake it to check idleness.
        setImmediate(() => {
          settleIdle();
          if (delay === 0) notify();
        });
      });
    },
    async close(timeoutMs = 5000): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(tick);
      const drained = shipper.flush();
      await Promise.race([drained, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
      while (sealing > 0) await new Promise((r) => setTimeout(r, 5));
      stopped = true;
      notify();
      await loop;
      for (const b of memory.splice(0)) {
        if (spool) spool.put(b.data, b.rows);
        else counters.add('agent.dropped_records', b.rows);
      }
    },
    stats() {
      return {
        memory_batches: memory.length,
        spool_batches: spool?.size ?? 0,
        spool_bytes: spool?.bytes ?? 0,
        open_rows: open.length,
        retry_delay_ms: delay,
      };
    },
  };
  return shipper;
}
