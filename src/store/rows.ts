/**
 * @module store/rows
 * Turns canonical records into rows of the `requests` table: flattened peers, a derived
 * `endpoint`, a time-ordered `request_id`, and nanosecond timestamps as exact decimal strings.
 * The writer holds rows as positional values (`RowValues`, column order = REQUEST_COLUMNS), which
 * each engine encodes its own way: the embedded one as a ClickHouse Native block (see native.ts),
 * a ClickHouse server as TabSeparated lines (`valuesToLine`).
 */
import { randomBytes } from 'node:crypto';
import type { RequestRecord } from '../records/record.ts';
import { REQUEST_COLUMN_NAMES, REQUEST_COLUMNS } from './schema.ts';

/** A `requests` row as objects (the wire format between agent and server). */
export interface RequestRow {
  request_id: string;
  start_time: string;
  end_time: string;
  duration_ns: string;
  protocol: string;
  transport: string;
  observation: string;
  host: string;
  client_ip: string;
  client_port: number;
  client_pid: number | null;
  client_command: string;
  client_executable: string;
  client_container_id: string;
  client_service: string;
  server_ip: string;
  server_port: number;
  server_pid: number | null;
  server_command: string;
  server_executable: string;
  server_container_id: string;
  server_service: string;
  endpoint: string;
  request_type: string;
  request_domain: string;
  request_resource: string;
  protocol_version: string;
  response_code: number | null;
  response_status: string;
  response_message: string;
  response_summary: string;
  request_bytes: number;
  response_bytes: number;
  req_tcp_seq: number | null;
  resp_tcp_seq: number | null;
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  x_request_id: string;
}

/** Nanoseconds since the epoch as the decimal seconds text DateTime64(9) parses exactly. */
export function nsToDecimal(ns: bigint): string {
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  const sec = abs / 1_000_000_000n;
  const frac = (abs % 1_000_000_000n).toString().padStart(9, '0');
  return `${neg ? '-' : ''}${sec}.${frac}`;
}

let hexPool = '';
let hexOffset = 0;
/** RFC 9562 variant digit (10xx) for each value of the random nibble's low two bits. */
const VARIANT = ['8', '9', 'a', 'b'];

/**
 * A UUIDv7 (RFC 9562) whose first 48 bits are the request's start in milliseconds: the id alone
 * tells the store which time range to read, so looking one up never scans the whole table.
 */
export function requestIdFor(startNs: bigint): string {
  let ms = Number(startNs / 1_000_000n);
  if (!(ms >= 0) || ms > 0xffffffffffff) ms = 0;
  const t = ms.toString(16).padStart(12, '0');
  if (hexOffset + 19 > hexPool.length) {
    hexPool = randomBytes(16 * 1024).toString('hex');
    hexOffset = 0;
  }
  const p = hexPool;
  const o = hexOffset;
  hexOffset += 19;
  // Random digits: 3 after the version, a variant digit from one more, then 3 and 12.
  const variant = VARIANT[parseInt(p[o + 3]!, 16) & 3]!;
  return t.slice(0, 8) + '-' + t.slice(8) + '-7' + p.slice(o, o + 3) + '-' + variant + p.slice(o + 4, o + 7) + '-' + p.slice(o + 7, o + 19);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID_RE.test(text);
}

/** Milliseconds since the epoch encoded in a UUIDv7 made by `requestIdFor`, or null. */
export function requestIdTimeMs(id: string): number | null {
  if (!isUuid(id) || id[14] !== '7') return null;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|[0-9A-Za-z_-]{24,})$/i;

/**
 * Collapse ids in an HTTP path so endpoints stay few: `/users/42/orders?x=1` -> `/users/{id}/orders`.
 * Numbers, UUIDs, long hex strings and long tokens become `{id}`; the query string is dropped.
 */
export function normalizePath(resource: string): string {
  let path = resource;
  const q = path.search(/[?#]/);
  if (q >= 0) path = path.slice(0, q);
  if (path.length === 0) return '/';
  const parts = path.split('/');
  for (let i = 0; i < parts.length; i++) if (ID_SEGMENT.test(parts[i]!)) parts[i] = '{id}';
  const out = parts.join('/');
  return out.length > 200 ? out.slice(0, 200) : out;
}

/**
 * What a request did, at a granularity worth a metric series: `GET /users/{id}` for HTTP,
 * `A example.com` for DNS, `GET` for Redis (keys are data, not endpoints).
 */
export function endpointOf(r: Pick<RequestRecord, 'protocol' | 'request_type' | 'request_resource' | 'request_domain'>): string {
  const type = r.request_type ?? '';
  switch (r.protocol) {
    case 'http1':
      return `${type} ${normalizePath(r.request_resource ?? '')}`.trim();
    case 'dns':
      return `${type} ${r.request_domain ?? r.request_resource ?? ''}`.trim();
    case 'redis':
      return type;
    default:
      return type;
  }
}

/** Flatten a record into a row; `host` names the agent's machine. */
export function recordToRow(r: RequestRecord, host: string): RequestRow {
  const cp = r.client.process;
  const sp = r.server.process;
  return {
    request_id: requestIdFor(r.start_time),
    start_time: nsToDecimal(r.start_time),
    end_time: nsToDecimal(r.end_time),
    duration_ns: String(Math.max(0, Math.round(r.duration_ns))),
    protocol: r.protocol,
    transport: r.transport,
    observation: r.observation,
    host,
    client_ip: r.client.ip,
    client_port: r.client.port,
    client_pid: cp ? cp.pid : null,
    client_command: cp?.command ?? '',
    client_executable: cp?.executable ?? '',
    client_container_id: cp?.container_id ?? '',
    client_service: cp?.service || r.client.ip,
    server_ip: r.server.ip,
    server_port: r.server.port,
    server_pid: sp ? sp.pid : null,
    server_command: sp?.command ?? '',
    server_executable: sp?.executable ?? '',
    server_container_id: sp?.container_id ?? '',
    server_service: sp?.service || `${r.server.ip}:${r.server.port}`,
    endpoint: endpointOf(r),
    request_type: r.request_type ?? '',
    request_domain: r.request_domain ?? '',
    request_resource: r.request_resource ?? '',
    protocol_version: r.protocol_version ?? '',
    response_code: r.response_code,
    response_status: r.response_status,
    response_message: r.response_message ?? '',
    response_summary: r.response_summary ?? '',
    request_bytes: r.request_bytes,
    response_bytes: r.response_bytes,
    req_tcp_seq: r.req_tcp_seq,
    resp_tcp_seq: r.resp_tcp_seq,
    trace_id: r.trace_id ?? '',
    span_id: r.span_id ?? '',
    parent_span_id: r.parent_span_id ?? '',
    x_request_id: r.x_request_id ?? '',
  };
}

const TSV_SPECIAL = /[\\\t\n\r\0]/;
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/** A string field in TabSeparated: backslash, tab, newline, CR and NUL escaped. */
export function tsvString(v: string | null | undefined): string {
  if (!v) return '';
  return TSV_SPECIAL.test(v) ? v.replace(/[\\\t\n\r\0]/g, (c) => TSV_ESCAPES[c]!) : v;
}
const str = tsvString;
/** A number field; null is TabSeparated's \N. */
const num = (v: number | null | undefined): string => (v === null || v === undefined ? '\\N' : String(v));

/** One TabSeparated line (no newline) in REQUEST_COLUMNS order. */
export function rowToLine(row: RequestRow): string {
  const out: string[] = new Array(REQUEST_COLUMN_NAMES.length);
  for (let i = 0; i < REQUEST_COLUMN_NAMES.length; i++) {
    const v = (row as unknown as Record<string, unknown>)[REQUEST_COLUMN_NAMES[i]!];
    out[i] = typeof v === 'string' ? tsvString(v) : num(v as number | null);
  }
  return out.join('\t');
}

export type RowCheck = { ok: true; row: RequestRow } | { ok: false; reason: string };

type Kind = 'string' | 'uint' | 'uint?' | 'int?' | 'decimal' | 'uint64';
const ROW_KINDS: Record<keyof RequestRow, Kind> = {
  request_id: 'string', start_time: 'decimal', end_time: 'decimal', duration_ns: 'uint64',
  protocol: 'string', transport: 'string', observation: 'string', host: 'string',
  client_ip: 'string', client_port: 'uint', client_pid: 'uint?', client_command: 'string',
  client_executable: 'string', client_container_id: 'string', client_service: 'string',
  server_ip: 'string', server_port: 'uint', server_pid: 'uint?', server_command: 'string',
  server_executable: 'string', server_container_id: 'string', server_service: 'string',
  endpoint: 'string', request_type: 'string', request_domain: 'string', request_resource: 'string',
  protocol_version: 'string', response_code: 'int?', response_status: 'string', response_message: 'string',
  response_summary: 'string', request_bytes: 'uint', response_bytes: 'uint', req_tcp_seq: 'uint?',
  resp_tcp_seq: 'uint?', trace_id: 'string', span_id: 'string', parent_span_id: 'string', x_request_id: 'string',
};
const DECIMAL = /^\d{1,11}(?:\.\d{1,9})?$/;
const MAX_TEXT = 64 * 1024;

/** Check an untrusted row (from an agent) field by field before it reaches the store. */
export function checkRow(value: unknown): RowCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'row is not an object' };
  const v = value as Record<string, unknown>;
  for (const [key, kind] of Object.entries(ROW_KINDS) as [keyof RequestRow, Kind][]) {
    const x = v[key];
    switch (kind) {
      case 'string':
        if (typeof x !== 'string' || x.length > MAX_TEXT) return { ok: false, reason: `${key} must be a string of at most ${MAX_TEXT} characters` };
        break;
      case 'uint':
        if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) return { ok: false, reason: `${key} must be a non-negative integer` };
        break;
      case 'uint?':
        if (x !== null && (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 0xffffffff)) return { ok: false, reason: `${key} must be null or a 32-bit unsigned integer` };
        break;
      case 'int?':
        if (x !== null && (typeof x !== 'number' || !Number.isInteger(x) || Math.abs(x) > 0x7fffffff)) return { ok: false, reason: `${key} must be null or a 32-bit integer` };
        break;
      case 'decimal':
        if (typeof x !== 'string' || !DECIMAL.test(x)) return { ok: false, reason: `${key} must be decimal seconds like "1700000000.123456789"` };
        break;
      case 'uint64':
        if (typeof x !== 'string' || !/^\d{1,19}$/.test(x)) return { ok: false, reason: `${key} must be an unsigned integer in a string` };
        break;
    }
  }
  if (!isUuid(v.request_id as string)) return { ok: false, reason: 'request_id must be a UUID' };
  if ((v.client_port as number) > 65535 || (v.server_port as number) > 65535) return { ok: false, reason: 'ports must be at most 65535' };
  return { ok: true, row: v as unknown as RequestRow };
}

/**
 * A `requests` row as positional values in REQUEST_COLUMNS order: text as strings (UUIDs too),
 * DateTime64 columns as bigint nanoseconds, integers as numbers (a bigint where a UInt64 may pass
 * 2^53), null for NULL.
 */
export type RowValues = (string | number | bigint | null)[];

/** `recordToRow` as positional values, without the intermediate object: the writer's hot path. */
export function recordToValues(r: RequestRecord, host: string): RowValues {
  const cp = r.client.process;
  const sp = r.server.process;
  return [
    requestIdFor(r.start_time), r.start_time, r.end_time, Math.max(0, Math.round(r.duration_ns)),
    r.protocol, r.transport, r.observation, host,
    r.client.ip, r.client.port, cp ? cp.pid : null, cp?.command ?? '', cp?.executable ?? '', cp?.container_id ?? '', cp?.service || r.client.ip,
    r.server.ip, r.server.port, sp ? sp.pid : null, sp?.command ?? '', sp?.executable ?? '', sp?.container_id ?? '',
    sp?.service || `${r.server.ip}:${r.server.port}`,
    endpointOf(r), r.request_type ?? '', r.request_domain ?? '', r.request_resource ?? '', r.protocol_version ?? '',
    r.response_code, r.response_status, r.response_message ?? '', r.response_summary ?? '',
    r.request_bytes, r.response_bytes, r.req_tcp_seq, r.resp_tcp_seq,
    r.trace_id ?? '', r.span_id ?? '', r.parent_span_id ?? '', r.x_request_id ?? '',
  ];
}

/** Decimal seconds ("1700000000.123456789", as `nsToDecimal` writes and `checkRow` admits) to ns. */
export function decimalToNs(text: string): bigint {
  const dot = text.indexOf('.');
  if (dot < 0) return BigInt(text) * 1_000_000_000n;
  return BigInt(text.slice(0, dot)) * 1_000_000_000n + BigInt(text.slice(dot + 1).padEnd(9, '0'));
}

/** A checked agent row (see `checkRow`) as positional values. */
export function rowToValues(row: RequestRow): RowValues {
  const out: RowValues = new Array(REQUEST_COLUMNS.length);
  for (let i = 0; i < REQUEST_COLUMNS.length; i++) {
    const name = REQUEST_COLUMNS[i]!.name as keyof RequestRow;
    const v = row[name];
    if (name === 'start_time' || name === 'end_time') out[i] = decimalToNs(v as string);
    else if (name === 'duration_ns') {
      const n = Number(v);
      out[i] = Number.isSafeInteger(n) ? n : BigInt(v as string);
    } else out[i] = v;
  }
  return out;
}

const IS_DATETIME64 = REQUEST_COLUMNS.map((c) => c.type.startsWith('DateTime64'));

/** One TabSeparated line (no newline) from positional values, for engines fed text. */
export function valuesToLine(values: RowValues): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0) out += '\t';
    if (v === null || v === undefined) out += '\\N';
    else if (typeof v === 'string') out += tsvString(v);
    else if (typeof v === 'bigint' && IS_DATETIME64[i]) out += nsToDecimal(v);
    else out += String(v);
  }
  return out;
}
