/**
 * @module store/queries
 * The product's read queries over the schema, as parameterised SQL: RED per service, the
 * service map, endpoints of a service, request search and one request by id.
 *
 * Time ranges are exact to the millisecond: a range [from, to) is split into whole minutes read
 * from `requests_1m`, whole seconds at the edges from `requests_1s`, and the sub-second remains
 * from raw `requests`; the counts and digest states of all three are merged. Counts, error counts
 * and sums are therefore exact for any range; percentiles carry the t-digest's error (schema.ts).
 */
import type { QueryParams, Store } from './store.ts';
import type { RequestRecord, ResponseStatus } from '../records/record.ts';
import type { ProtocolFields } from '../protocols/protocol.ts';
import { QUANTILE_LEVELS, QUANTILES_SQL, ROLLUP_STATE_SELECT } from './schema.ts';
import { requestIdTimeMs } from './rows.ts';

/** A half-open range [fromMs, toMs) in epoch milliseconds. */
export interface TimeRange {
  fromMs: number;
  toMs: number;
}

export interface Segment {
  source: 'requests' | 'requests_1s' | 'requests_1m';
  fromMs: number;
  toMs: number;
}

const ceilTo = (x: number, step: number): number => Math.ceil(x / step) * step;
const floorTo = (x: number, step: number): number => Math.floor(x / step) * step;

/** Cover [from, to) with the coarsest tables whose buckets fit inside it. */
export function splitRange(range: TimeRange): Segment[] {
  const { fromMs, toMs } = range;
  if (toMs <= fromMs) return [];
  const out: Segment[] = [];
  const s0 = ceilTo(fromMs, 1000);
  const s1 = floorTo(toMs, 1000);
  if (s0 >= s1) return [{ source: 'requests', fromMs, toMs }];
  if (fromMs < s0) out.push({ source: 'requests', fromMs, toMs: s0 });
  const m0 = ceilTo(s0, 60_000);
  const m1 = floorTo(s1, 60_000);
  if (m0 < m1) {
    if (s0 < m0) out.push({ source: 'requests_1s', fromMs: s0, toMs: m0 });
    out.push({ source: 'requests_1m', fromMs: m0, toMs: m1 });
    if (m1 < s1) out.push({ source: 'requests_1s', fromMs: m1, toMs: s1 });
  } else {
    out.push({ source: 'requests_1s', fromMs: s0, toMs: s1 });
  }
  if (s1 < toMs) out.push({ source: 'requests', fromMs: s1, toMs });
  return out;
}

/** Dimensions rollups are kept by; the only columns RED queries may group or filter on. */
export type Dimension = 'client_service' | 'server_service' | 'protocol' | 'endpoint';

export interface RedRow {
  requests: number;
  errors: number;
  client_errors: number;
  duration_sum_ns: number;
  duration_max_ns: number;
  /** Duration quantiles in ns, in QUANTILE_LEVELS order. */
  quantiles_ns: number[];
}

export type RedGroup<K extends Dimension> = Record<K, string> & RedRow;

/** Observations of one call, best first: the server's own view, then a capture, then the client's. */
export const OBSERVATION_PRIORITY_SQL = "multiIf(observation = 'server', 0, observation = 'network', 1, observation = 'client', 3, 2)";

/** A call's two observations always share these; grouping by endpoint adds it to them. */
const EDGE_KEYS: readonly Dimension[] = ['client_service', 'server_service', 'protocol'];

/**
 * Merge rollup states over a time range, grouped by `groupBy`, filtered by equality on `where`.
 * Only Dimension names reach the SQL text; every value is a bound parameter.
 *
 * One call traced at both ends is two records (observation 'client' and 'server'). Counting it
 * once: per series (client, server, protocol, plus endpoint when grouping by it) over the whole
 * range, only the best observation is kept (server, else network, else client; rows rolled up
 * before observation was a key rank between network and client). A series traced only at the
 * client (a call to a remote server) keeps its client records. Whole-range rather than
 * per-bucket choice, so that a call whose two records fall on either side of a second boundary
 * is never counted twice. Series leave out endpoint unless asked: reading it costs the map
 * and services queries about 15%.
 */
export async function queryRed<K extends Dimension>(
  store: Store, range: TimeRange, groupBy: readonly K[], where: Partial<Record<Dimension, string>> = {},
): Promise<RedGroup<K>[]> {
  const params: QueryParams = {};
  const filters: string[] = [];
  for (const [dim, value] of Object.entries(where) as [Dimension, string | undefined][]) {
    if (value === undefined) continue;
    filters.push(`${dim} = {w_${dim}:String}`);
    params[`w_${dim}`] = value;
  }
  const keys = groupBy.join(', ');
  const keySelect = groupBy.length > 0 ? keys + ', ' : '';
  const SERIES_KEYS = [...new Set<Dimension>([...EDGE_KEYS, ...groupBy])].join(', ');
  const parts: string[] = [];
  splitRange(range).forEach((seg, i) => {
    params[`f${i}`] = seg.fromMs;
    params[`t${i}`] = seg.toMs;
    const where = [...filters];
    if (seg.source === 'requests') {
      where.unshift(`start_time >= fromUnixTimestamp64Milli({f${i}:Int64})`, `start_time < fromUnixTimestamp64Milli({t${i}:Int64})`);
      parts.push(`SELECT ${SERIES_KEYS}, observation, ${ROLLUP_STATE_SELECT}\nFROM requests WHERE ${where.join(' AND ')}\nGROUP BY ${SERIES_KEYS}, observation`);
    } else {
      where.unshift(`t >= toDateTime(intDiv({f${i}:Int64}, 1000))`, `t < toDateTime(intDiv({t${i}:Int64}, 1000))`);
      parts.push(`SELECT ${SERIES_KEYS}, observation, toUInt64(requests) AS requests, toUInt64(errors) AS errors, toUInt64(client_errors) AS client_errors, ` +
        `toUInt64(duration_sum) AS duration_sum, toUInt64(duration_max) AS duration_max, toUInt64(request_bytes) AS request_bytes, ` +
        `toUInt64(response_bytes) AS response_bytes, duration_digest\nFROM ${seg.source} WHERE ${where.join(' AND ')}`);
    }
  });
  if (parts.length === 0) return [];
  // Inner: one row per (series, observation); middle: the best observation of each series.
  const perObservation = `SELECT ${SERIES_KEYS}, observation, sum(requests) AS requests, sum(errors) AS errors, sum(client_errors) AS client_errors,\n` +
    `  sum(duration_sum) AS duration_sum, max(duration_max) AS duration_max,\n` +
    `  quantilesTDigestMergeState(${QUANTILES_SQL})(duration_digest) AS duration_digest\n` +
    `FROM (\n${parts.join('\nUNION ALL\n')}\n)\nGROUP BY ${SERIES_KEYS}, observation\n` +
    `ORDER BY ${SERIES_KEYS}, ${OBSERVATION_PRIORITY_SQL}\nLIMIT 1 BY ${SERIES_KEYS}`;
  const sql = `SELECT ${keySelect}sum(requests) AS requests, sum(errors) AS errors, sum(client_errors) AS client_errors,\n` +
    `  sum(duration_sum) AS duration_sum, max(duration_max) AS duration_max,\n` +
    `  quantilesTDigestMerge(${QUANTILES_SQL})(duration_digest) AS q\n` +
    `FROM (\n${perObservation}\n)\n` +
    `${groupBy.length > 0 ? `GROUP BY ${keys}\n` : ''}HAVING requests > 0\nORDER BY requests DESC${groupBy.length > 0 ? `, ${keys}` : ''}`;
  const rows = await store.query<Record<string, unknown>>(sql, params);
  return rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const k of groupBy) out[k] = String(r[k]);
    out.requests = Number(r.requests);
    out.errors = Number(r.errors);
    out.client_errors = Number(r.client_errors);
    out.duration_sum_ns = Number(r.duration_sum);
    out.duration_max_ns = Number(r.duration_max);
    out.quantiles_ns = (r.q as (number | string)[]).map(Number);
    return out as RedGroup<K>;
  });
}

/** RED figures as the API shows them: per-second rate, error ratio, durations in ms. */
export interface RedSummary {
  requests: number;
  rate_per_s: number;
  errors: number;
  error_rate: number;
  client_errors: number;
  duration_avg_ms: number;
  duration_max_ms: number;
  p50_ms: number;
  p90_ms: number;
  p95_ms: number;
  p99_ms: number;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export function summarize(row: RedRow, range: TimeRange): RedSummary {
  const seconds = (range.toMs - range.fromMs) / 1000;
  const q = (level: number): number => round3((row.quantiles_ns[QUANTILE_LEVELS.indexOf(level as never)] ?? 0) / 1e6);
  return {
    requests: row.requests,
    rate_per_s: round3(row.requests / seconds),
    errors: row.errors,
    error_rate: row.requests > 0 ? row.errors / row.requests : 0,
    client_errors: row.client_errors,
    duration_avg_ms: row.requests > 0 ? round3(row.duration_sum_ns / row.requests / 1e6) : 0,
    duration_max_ms: round3(row.duration_max_ns / 1e6),
    p50_ms: q(0.5),
    p90_ms: q(0.9),
    p95_ms: q(0.95),
    p99_ms: q(0.99),
  };
}

export interface ServiceRed extends RedSummary {
  service: string;
}

/** Services that received requests in the range, busiest first, with RED as servers. */
export async function services(store: Store, range: TimeRange): Promise<ServiceRed[]> {
  const rows = await queryRed(store, range, ['server_service']);
  return rows.map((r) => ({ service: r.server_service, ...summarize(r, range) }));
}

export interface MapEdge extends RedSummary {
  client: string;
  server: string;
  protocol: string;
}

export interface ServiceMap {
  nodes: { service: string; requests_in: number; requests_out: number }[];
  edges: MapEdge[];
}

/** Who called whom in the range: one edge per (client, server, protocol). */
export async function serviceMap(store: Store, range: TimeRange): Promise<ServiceMap> {
  const rows = await queryRed(store, range, ['client_service', 'server_service', 'protocol']);
  const edges = rows.map((r) => ({ client: r.client_service, server: r.server_service, protocol: r.protocol, ...summarize(r, range) }));
  const nodes = new Map<string, { service: string; requests_in: number; requests_out: number }>();
  const node = (s: string) => {
    let n = nodes.get(s);
    if (!n) nodes.set(s, (n = { service: s, requests_in: 0, requests_out: 0 }));
    return n;
  };
  for (const e of edges) {
    node(e.client).requests_out += e.requests;
    node(e.server).requests_in += e.requests;
  }
  return { nodes: [...nodes.values()].sort((a, b) => a.service.localeCompare(b.service)), edges };
}

export interface EndpointRed extends RedSummary {
  protocol: string;
  endpoint: string;
}

export async function endpoints(store: Store, range: TimeRange, service: string): Promise<EndpointRed[]> {
  const rows = await queryRed(store, range, ['protocol', 'endpoint'], { server_service: service });
  return rows.map((r) => ({ protocol: r.protocol, endpoint: r.endpoint, ...summarize(r, range) }));
}

export interface RequestFilter {
  /** Server side service. */
  service?: string;
  client_service?: string;
  protocol?: string;
  endpoint?: string;
  /** ok | client_error | server_error | timeout | unknown, or a numeric response code. */
  status?: string;
  min_duration_ns?: number;
  /** Case-insensitive substring of the resource. */
  text?: string;
  host?: string;
  trace_id?: string;
  /** client | server | network: which end saw the call (a call seen at both ends is two rows). */
  observation?: string;
}

/** Opaque position in newest-first order: the last row's start (ns) and id. */
export interface Cursor {
  startNs: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.startNs}/${c.id}`).toString('base64url');
}

export function decodeCursor(text: string): Cursor | null {
  const raw = Buffer.from(text, 'base64url').toString();
  const m = /^(\d{1,20})\/([0-9a-f-]{36})$/.exec(raw);
  return m ? { startNs: m[1]!, id: m[2]! } : null;
}

/** Columns returned for a request, in record shape order. */
const REQUEST_SELECT = `request_id, toString(toUnixTimestamp64Nano(start_time)) AS start_ns,
  toString(toUnixTimestamp64Nano(end_time)) AS end_ns, duration_ns, protocol, transport, observation, host,
  client_ip, client_port, client_pid, client_command, client_executable, client_container_id, client_service,
  server_ip, server_port, server_pid, server_command, server_executable, server_container_id, server_service,
  endpoint, request_type, request_domain, request_resource, protocol_version, response_code, response_status,
  response_message, response_summary, request_bytes, response_bytes, req_tcp_seq, resp_tcp_seq,
  trace_id, span_id, parent_span_id, x_request_id`;

/**
 * A stored request in the canonical record's shape, plus its id, host and endpoint. The protocol
 * fields, sizes and sequence numbers are the record's own types; times travel as decimal strings.
 */
export interface StoredRequest
  extends ProtocolFields, Pick<RequestRecord, 'request_bytes' | 'response_bytes' | 'req_tcp_seq' | 'resp_tcp_seq'> {
  request_id: string;
  host: string;
  endpoint: string;
  start_time: string;
  end_time: string;
  start_time_iso: string;
  duration_ns: string;
  duration_ms: number;
  protocol: string;
  transport: string;
  observation: string;
  client: StoredPeer;
  server: StoredPeer;
}

interface StoredPeer {
  ip: string;
  port: number;
  service: string;
  process: { pid: number; command: string; executable: string | null; container_id: string | null } | null;
}

const nullIfEmpty = (v: unknown): string | null => (v === '' || v === null || v === undefined ? null : String(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function peer(r: Record<string, unknown>, side: 'client' | 'server'): StoredPeer {
  const pid = r[`${side}_pid`];
  return {
    ip: String(r[`${side}_ip`]),
    port: Number(r[`${side}_port`]),
    service: String(r[`${side}_service`]),
    process: pid === null || pid === undefined ? null : {
      pid: Number(pid),
      command: String(r[`${side}_command`]),
      executable: nullIfEmpty(r[`${side}_executable`]),
      container_id: nullIfEmpty(r[`${side}_container_id`]),
    },
  };
}

function toStoredRequest(r: Record<string, unknown>): StoredRequest {
  const startNs = String(r.start_ns);
  return {
    request_id: String(r.request_id),
    host: String(r.host),
    endpoint: String(r.endpoint),
    start_time: startNs,
    end_time: String(r.end_ns),
    start_time_iso: new Date(Number(BigInt(startNs) / 1_000_000n)).toISOString(),
    duration_ns: String(r.duration_ns),
    duration_ms: Number(r.duration_ns) / 1e6,
    protocol: String(r.protocol),
    transport: String(r.transport),
    observation: String(r.observation),
    client: peer(r, 'client'),
    server: peer(r, 'server'),
    request_type: nullIfEmpty(r.request_type),
    request_domain: nullIfEmpty(r.request_domain),
    request_resource: nullIfEmpty(r.request_resource),
    protocol_version: nullIfEmpty(r.protocol_version),
    response_code: numOrNull(r.response_code),
    response_status: String(r.response_status) as ResponseStatus,
    response_message: nullIfEmpty(r.response_message),
    response_summary: nullIfEmpty(r.response_summary),
    request_bytes: Number(r.request_bytes),
    response_bytes: Number(r.response_bytes),
    req_tcp_seq: numOrNull(r.req_tcp_seq),
    resp_tcp_seq: numOrNull(r.resp_tcp_seq),
    trace_id: nullIfEmpty(r.trace_id),
    span_id: nullIfEmpty(r.span_id),
    parent_span_id: nullIfEmpty(r.parent_span_id),
    x_request_id: nullIfEmpty(r.x_request_id),
  };
}

export interface RequestPage {
  requests: StoredRequest[];
  /** Pass back as `cursor` for the next (older) page; null on the last page. */
  next_cursor: string | null;
}

/** Requests in the range matching the filter, newest first, `limit` per page. */
export async function searchRequests(
  store: Store, range: TimeRange, filter: RequestFilter, limit: number, cursor: Cursor | null,
): Promise<RequestPage> {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError('limit must be 1..1000');
  const params: QueryParams = { from: range.fromMs, to: range.toMs };
  const where = ['start_time >= fromUnixTimestamp64Milli({from:Int64})', 'start_time < fromUnixTimestamp64Milli({to:Int64})'];
  const eq = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(`${column} = {${column}:String}`);
    params[column] = value;
  };
  eq('server_service', filter.service);
  eq('client_service', filter.client_service);
  eq('protocol', filter.protocol);
  eq('endpoint', filter.endpoint);
  eq('host', filter.host);
  eq('trace_id', filter.trace_id);
  eq('observation', filter.observation);
  if (filter.status !== undefined) {
    if (/^\d+$/.test(filter.status)) {
      where.push('response_code = {code:Int32}');
      params.code = Number(filter.status);
    } else eq('response_status', filter.status);
  }
  if (filter.min_duration_ns !== undefined) {
    where.push('duration_ns >= {min_ns:UInt64}');
    params.min_ns = String(Math.floor(filter.min_duration_ns));
  }
  if (filter.text !== undefined) {
    where.push('positionCaseInsensitiveUTF8(request_resource, {text:String}) > 0');
    params.text = filter.text;
  }
  if (cursor) {
    where.push('(start_time < fromUnixTimestamp64Nano({c_ns:Int64}) OR (start_time = fromUnixTimestamp64Nano({c_ns:Int64}) AND request_id < {c_id:UUID}))');
    params.c_ns = cursor.startNs;
    params.c_id = cursor.id;
  }
  // limit is a validated integer, never user text.
  const sql = `SELECT ${REQUEST_SELECT}\nFROM requests\nWHERE ${where.join('\n  AND ')}\nORDER BY start_time DESC, request_id DESC\nLIMIT ${limit + 1}`;
  const rows = await store.query<Record<string, unknown>>(sql, params);
  const page = rows.slice(0, limit).map(toStoredRequest);
  const last = page[page.length - 1];
  return { requests: page, next_cursor: rows.length > limit && last ? encodeCursor({ startNs: last.start_time, id: last.request_id }) : null };
}

/** One request by id; ids made by the writer carry their time, which narrows the read to 1 ms. */
export async function getRequest(store: Store, id: string): Promise<StoredRequest | null> {
  const ms = requestIdTimeMs(id);
  const params: QueryParams = { id };
  let where = 'request_id = {id:UUID}';
  if (ms !== null) {
    where += ' AND start_time >= fromUnixTimestamp64Milli({from:Int64}) AND start_time < fromUnixTimestamp64Milli({to:Int64})';
    params.from = ms;
    params.to = ms + 1;
  }
  const rows = await store.query<Record<string, unknown>>(`SELECT ${REQUEST_SELECT}\nFROM requests WHERE ${where} LIMIT 1`, params);
  return rows[0] ? toStoredRequest(rows[0]) : null;
}
