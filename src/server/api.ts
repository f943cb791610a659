/**
 * @module server/api
 * The HTTP JSON API over a Store: services with RED, the service map, endpoints, request search,
 * one request, read-only SQL, health and self-metrics, and (when given a writer) batch ingest from
 * agents. Loopback by default; any other address requires a token. Every bad parameter is a 4xx
 * JSON error naming the problem; user input reaches SQL only as bound parameters.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Counters } from '../util/counters.ts';
import type { Store } from '../store/store.ts';
import { StoreError } from '../store/store.ts';
import type { RecordWriter } from '../store/writer.ts';
import { DroppedError } from '../store/writer.ts';
import {
  decodeCursor, endpoints, getRequest, searchRequests, serviceMap, services,
} from '../store/queries.ts';
import type { RequestFilter, TimeRange } from '../store/queries.ts';
import { checkReadOnlySql, withReadOnlyLimits } from '../store/sql-guard.ts';
import type { SqlLimits } from '../store/sql-guard.ts';
import { isUuid } from '../store/rows.ts';
import { decodeBatch } from './ingest.ts';

export const DEFAULT_API_PORT = 7070;
export const API_PREFIX = '/api/v1';

export interface ApiServerOptions {
  /** Address to listen on. Default 127.0.0.1. Anything but loopback requires `token`. */
  host?: string;
  /** Port; 0 picks a free one. Default 7070. */
  port?: number;
  /** Bearer token required on every route but /health when set. */
  token?: string;
  /** Accept agent batches on POST /api/v1/ingest, written through this writer. */
  writer?: RecordWriter;
  /** Extra gauges for /metrics (ring buffer fill, store lag from elsewhere, memory...). */
  gauges?: () => Record<string, number>;
  sqlLimits?: SqlLimits;
  /** Largest ingest batch accepted, uncompressed. Default 64 MiB. */
  maxIngestBytes?: number;
  log?: (message: string) => void;
}

export interface ApiServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/** A client mistake: becomes a 4xx JSON answer. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::ffff:127.0.0.1';
}

const MAX_RANGE_MS = 400 * 86_400_000;
const DEFAULT_RANGE_MS = 15 * 60_000;

/** `from`/`to` as epoch milliseconds or ISO 8601; default: the last 15 minutes. */
export function parseTimeRange(q: URLSearchParams, nowMs = Date.now()): TimeRange {
  const parse = (name: string): number | null => {
    const raw = q.get(name);
    if (raw === null || raw === '') return null;
    if (/^-?\d+$/.test(raw)) {
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n < 0) throw new ApiError(400, `${name}: ${raw} is not a valid epoch millisecond time`);
      return n;
    }
    if (!/^\d{4}-\d{2}-\d{2}/.test(raw)) throw new ApiError(400, `${name}: expected epoch milliseconds or an ISO 8601 time, got ${JSON.stringify(raw.slice(0, 40))}`);
    const t = Date.parse(raw);
    if (Number.isNaN(t)) throw new ApiError(400, `${name}: ${JSON.stringify(raw.slice(0, 40))} is not a valid ISO 8601 time`);
    return t;
  };
  const to = parse('to') ?? nowMs;
  const from = parse('from') ?? to - DEFAULT_RANGE_MS;
  if (from >= to) throw new ApiError(400, `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`);
  if (to - from > MAX_RANGE_MS) throw new ApiError(400, `time range is longer than 400 days`);
  return { fromMs: from, toMs: to };
}

function checkKnown(q: URLSearchParams, known: readonly string[]): void {
  for (const key of q.keys()) {
    if (!known.includes(key)) throw new ApiError(400, `unknown parameter ${JSON.stringify(key.slice(0, 40))}; this route takes: ${known.join(', ') || 'none'}`);
  }
}

function text(q: URLSearchParams, name: string, max = 1000): string | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v.length === 0) throw new ApiError(400, `${name}: must not be empty`);
  if (v.length > max) throw new ApiError(400, `${name}: longer than ${max} characters`);
  return v;
}

function integer(q: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new ApiError(400, `${name}: must be a whole number from ${min} to ${max}, got ${JSON.stringify(v.slice(0, 40))}`);
  return Number(v);
}

const STATUSES = ['ok', 'client_error', 'server_error', 'timeout', 'unknown'];
const OBSERVATIONS = ['client', 'server', 'network'];

function requestFilter(q: URLSearchParams): RequestFilter {
  const f: RequestFilter = {};
  const set = <K extends keyof RequestFilter>(k: K, v: RequestFilter[K] | undefined) => {
    if (v !== undefined) f[k] = v;
  };
  set('service', text(q, 'service'));
  set('client_service', text(q, 'client_service'));
  set('protocol', text(q, 'protocol', 64));
  set('endpoint', text(q, 'endpoint'));
  set('host', text(q, 'host'));
  set('trace_id', text(q, 'trace_id', 128));
  set('text', text(q, 'q'));
  const observation = text(q, 'observation', 16);
  if (observation !== undefined) {
    if (!OBSERVATIONS.includes(observation)) throw new ApiError(400, `observation: expected one of ${OBSERVATIONS.join(', ')}, got ${JSON.stringify(observation)}`);
    f.observation = observation;
  }
  const status = text(q, 'status', 32);
  if (status !== undefined) {
    if (!STATUSES.includes(status) && !/^\d{1,9}$/.test(status)) throw new ApiError(400, `status: expected one of ${STATUSES.join(', ')} or a numeric response code, got ${JSON.stringify(status)}`);
    f.status = status;
  }
  const minMs = q.get('min_duration_ms');
  if (minMs !== null) {
    const n = Number(minMs);
    if (minMs === '' || !Number.isFinite(n) || n < 0 || n > 1e9) throw new ApiError(400, `min_duration_ms: must be a non-negative number of milliseconds, got ${JSON.stringify(minMs.slice(0, 40))}`);
    f.min_duration_ns = Math.round(n * 1e6);
  }
  return f;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data), 'cache-control': 'no-store' });
  res.end(data);
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new ApiError(413, `body larger than ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sameToken(given: string, expected: string): boolean {
  // Hash both so the comparison takes the same time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Map an engine error on user SQL to a client status. */
function sqlErrorStatus(err: StoreError): number {
  switch (err.code) {
    case 164: return 403; // READONLY
    case 396: return 413; // TOO_MANY_ROWS_OR_BYTES
    case 159: return 408; // TIMEOUT_EXCEEDED
    case 241: return 413; // MEMORY_LIMIT_EXCEEDED
    default: return 400;
  }
}

/** Counters summarised for people: what was received, lost, dropped and failed to parse. */
export function selfMetrics(counters: Counters): Record<string, unknown> {
  const all = counters.snapshot();
  const parseErrors: Record<string, number> = {};
  let dropped = 0;
  let lost = 0;
  for (const [k, v] of Object.entries(all)) {
    const m = /^([a-z0-9_]+)\.parse_errors$/.exec(k);
    if (m) parseErrors[m[1]!] = v;
    if (/dropped/.test(k)) dropped += v;
    if (/lost/.test(k)) lost += v;
  }
  return {
    events_received: all['capture.events'] ?? 0,
    events_lost_in_kernel: all['capture.events_lost_kernel'] ?? 0,
    lost_total: lost,
    dropped_in_user_space: dropped,
    parse_errors_by_protocol: parseErrors,
    records_stored: all['store.inserted_records'] ?? 0,
    store_write_errors: all['store.write_errors'] ?? 0,
  };
}

/**
 * Start the API. Refuses (throws) to listen off loopback without a token.
 * @example
 *   const api = await startApiServer(store, counters, { port: 7070, writer });
 *   console.log(api.url); // http://127.0.0.1:7070
 */
export async function startApiServer(store: Store, counters: Counters, options: ApiServerOptions = {}): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token && options.token.length > 0 ? options.token : null;
  if (!isLoopback(host) && !token) {
    throw new Error(`start API: refusing to listen on ${host} without a token: anyone who can reach it could read every request. ` +
      `Pass --token <secret> (or FLOWSCOPE_TOKEN), or listen on 127.0.0.1.`);
  }
  const log = options.log ?? ((m: string) => console.error(m));
  const maxIngest = options.maxIngestBytes ?? 64 * 1024 * 1024;
  const started = Date.now();
  const loggedKinds = new Set<string>();

  const routes = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    if (!path.startsWith(API_PREFIX)) throw new ApiError(404, `no route ${path}; the API lives under ${API_PREFIX}/ (see docs/api.md)`);
    const route = path.slice(API_PREFIX.length) || '/';

    if (route === '/health') {
      checkKnown(q, []);
      let storeOk = true;
      let storeError: string | null = null;
      try {
        await store.query('SELECT 1 AS ok');
      } catch (err) {
        storeOk = false;
        storeError = (err as Error).message;
      }
      sendJson(res, storeOk ? 200 : 503, {
        status: storeOk ? 'ok' : 'degraded', store: { kind: store.kind, ok: storeOk, error: storeError },
        uptime_s: Math.round((Date.now() - started) / 1000),
      });
      return;
    }
    if (token) {
      const auth = req.headers.authorization ?? '';
      const m = /^Bearer\s+(.+)$/i.exec(auth);
      if (!m || !sameToken(m[1]!.trim(), token)) {
        res.setHeader('www-authenticate', 'Bearer');
        throw new ApiError(401, 'missing or wrong bearer token (Authorization: Bearer <token>)');
      }
    }
    if (route === '/ingest') {
      if (method !== 'POST') throw new ApiError(405, 'ingest takes POST');
      if (!options.writer) throw new ApiError(404, 'this server does not accept ingest');
      checkKnown(q, []);
      const body = await readBody(req, maxIngest);
      const decoded = await decodeBatch(body, req.headers['content-encoding'], maxIngest);
      if (!decoded.ok) {
        counters.add('server.ingest_rejected_batches');
        throw new ApiError(decoded.status, decoded.reason);
      }
      counters.add('server.ingest_batches');
      counters.add('server.ingest_records', decoded.rows.length);
      try {
        await options.writer.writeValues(decoded.rows);
      } catch (err) {
        if (err instanceof DroppedError) {
          res.setHeader('retry-after', '1');
          throw new ApiError(503, `store is not keeping up, batch not stored: ${err.message}`);
        }
        throw err;
      }
      sendJson(res, 200, { accepted: decoded.rows.length });
      return;
    }
    if (route === '/sql') {
      let sql: unknown;
      if (method === 'POST') {
        checkKnown(q, []);
        const body = await readBody(req, 200_000);
        try {
          sql = (JSON.parse(body.toString('utf8')) as { sql?: unknown }).sql;
        } catch {
          throw new ApiError(400, 'body must be JSON: {"sql": "SELECT ..."}');
        }
      } else if (method === 'GET') {
        checkKnown(q, ['q']);
        sql = q.get('q') ?? undefined;
      } else throw new ApiError(405, 'sql takes GET ?q= or POST {"sql": ...}');
      if (sql === undefined) throw new ApiError(400, 'missing sql');
      const checked = checkReadOnlySql(sql);
      if (!checked.ok) throw new ApiError(400, `sql rejected: ${checked.reason}`);
      const limits = options.sqlLimits ?? {};
      const t0 = performance.now();
      try {
        const rows = await store.query(withReadOnlyLimits(checked.sql, limits), undefined, { timeoutMs: ((limits.maxSeconds ?? 10) + 5) * 1000 });
        sendJson(res, 200, { rows, row_count: rows.length, elapsed_ms: Math.round(performance.now() - t0) });
      } catch (err) {
        if (err instanceof StoreError) throw new ApiError(sqlErrorStatus(err), err.message.replace(/^query: /, ''));
        throw err;
      }
      return;
    }
    if (method !== 'GET') throw new ApiError(405, `${route} takes GET`);
    if (route === '/metrics') {
      checkKnown(q, []);
      const writerStats = options.writer?.stats();
      sendJson(res, 200, {
        summary: selfMetrics(counters),
        counters: counters.snapshot(),
        gauges: { ...(writerStats ? { 'store.pending_rows': writerStats.pending_rows, 'store.lag_ms': writerStats.lag_ms, 'store.last_insert_ms': writerStats.last_insert_ms } : {}), ...(options.gauges?.() ?? {}) },
      });
      return;
    }
    if (route === '/services') {
      checkKnown(q, ['from', 'to']);
      const range = parseTimeRange(q);
      sendJson(res, 200, { from: range.fromMs, to: range.toMs, services: await services(store, range) });
      return;
    }
    if (route === '/map') {
      checkKnown(q, ['from', 'to']);
      const range = parseTimeRange(q);
      sendJson(res, 200, { from: range.fromMs, to: range.toMs, ...(await serviceMap(store, range)) });
      return;
    }
    const ep = /^\/services\/([^/]+)\/endpoints$/.exec(route);
    if (ep) {
      checkKnown(q, ['from', 'to']);
      let service: string;
      try {
        service = decodeURIComponent(ep[1]!);
      } catch {
        throw new ApiError(400, 'service: bad percent-encoding');
      }
      const range = parseTimeRange(q);
      sendJson(res, 200, { from: range.fromMs, to: range.toMs, service, endpoints: await endpoints(store, range, service) });
      return;
    }
    if (route === '/requests') {
      checkKnown(q, ['from', 'to', 'service', 'client_service', 'protocol', 'endpoint', 'status', 'min_duration_ms', 'q', 'host', 'trace_id', 'observation', 'limit', 'cursor']);
      const range = parseTimeRange(q);
      const filter = requestFilter(q);
      const limit = integer(q, 'limit', 1, 1000) ?? 50;
      const rawCursor = text(q, 'cursor', 200);
      const cursor = rawCursor === undefined ? null : decodeCursor(rawCursor);
      if (rawCursor !== undefined && !cursor) throw new ApiError(400, 'cursor: not a cursor from a previous page (pass next_cursor back unchanged)');
      sendJson(res, 200, { from: range.fromMs, to: range.toMs, ...(await searchRequests(store, range, filter, limit, cursor)) });
      return;
    }
    const one = /^\/requests\/([^/]+)$/.exec(route);
    if (one) {
      checkKnown(q, []);
      const id = one[1]!;
      if (!isUuid(id)) throw new ApiError(400, `request id must be a UUID, got ${JSON.stringify(id.slice(0, 40))}`);
      const found = await getRequest(store, id.toLowerCase());
      if (!found) throw new ApiError(404, `no request ${id}`);
      sendJson(res, 200, found);
      return;
    }
    throw new ApiError(404, `no route ${path} (see docs/api.md)`);
  };

  const server = createServer((req, res) => {
    routes(req, res).catch((err: unknown) => {
      if (err instanceof ApiError) {
        if (!res.headersSent) sendJson(res, err.status, { error: err.message });
        return;
      }
      counters.add('server.api_errors');
      const message = (err as Error)?.message ?? String(err);
      const kind = message.split('\n')[0]!.replace(/\d+/g, '#').slice(0, 80);
      if (!loggedKinds.has(kind)) {
        loggedKinds.add(kind);
        log(`api: ${req.method} ${req.url?.slice(0, 200)} failed: ${message}`);
      }
      if (!res.headersSent) sendJson(res, 500, { error: `internal error: ${message.split('\n')[0]}` });
      else res.destroy();
    });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_API_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    server,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
