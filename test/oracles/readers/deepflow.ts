/**
 * @module test/oracles/readers/deepflow
 * Reads DeepFlow's `<name>.result` files: one line per parsed packet/message, either a Rust `Debug`
 * dump (`HttpInfo { .. } is_http: true`, `RedisInfo { .. } is_redis: true`) or, for DNS, a JSON
 * object followed by ` headers_offset: N is_dns: bool`. Lines whose is_<proto> flag is false are
 * packets DeepFlow did not parse as that protocol and carry no message.
 */
import { readFileSync } from 'node:fs';

export type DeepflowMsgType = 'Request' | 'Response' | 'Other';

export interface DeepflowHttp {
  msgType: DeepflowMsgType;
  /** Upper-case method (`Post` -> `POST`), null on responses. */
  method: string | null;
  path: string;
  host: string;
  status: number | null;
  version: string;
}

export interface DeepflowDns {
  msgType: DeepflowMsgType;
  id: number;
  qtype: string;
  qname: string;
  rcode: number | null;
}

export interface DeepflowRedis {
  /** Requests carry the command line; responses an empty `request`. */
  msgType: 'Request' | 'Response';
  request: string;
  command: string;
  /** RESP type of the reply (`BulkString`, `Error`, ...); `Unknown` on requests. */
  result: string;
  error: string;
}

/** The value of `key` in a Rust Debug dump: a string literal (unescaped) or a bare token. */
export function debugField(dump: string, key: string): string | undefined {
  const re = new RegExp(`(?:\\{ |, )${key}: ("(?:[^"\\\\]|\\\\.)*"|[^,}]+)`);
  const m = re.exec(dump);
  if (!m) return undefined;
  const raw = m[1]!.trim();
  if (!raw.startsWith('"')) return raw;
  return raw.slice(1, -1).replace(/\\(u\{([0-9a-fA-F]+)\}|.)/g, (_all, esc: string, hex?: string) => {
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    return ({ n: '\n', r: '\r', t: '\t', '0': '\0' } as Record<string, string>)[esc] ?? esc;
  });
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
}

function someNumber(token: string | undefined): number | null {
  const m = token ? /^Some\((\d+)\)$/.exec(token) : null;
  return m ? Number(m[1]) : null;
}

export function readDeepflowHttp(path: string): DeepflowHttp[] {
  const out: DeepflowHttp[] = [];
  for (const line of lines(path)) {
    if (!line.startsWith('HttpInfo {') || !line.endsWith('is_http: true')) continue;
    const method = debugField(line, 'method') ?? 'None';
    out.push({
      msgType: (debugField(line, 'msg_type') ?? 'Other') as DeepflowMsgType,
      method: method === 'None' ? null : method.toUpperCase(),
      path: debugField(line, 'path') ?? '',
      host: debugField(line, 'host') ?? '',
      status: someNumber(debugField(line, 'status_code')),
      version: debugField(line, 'version') ?? '',
    });
  }
  return out;
}

export function readDeepflowDns(path: string): DeepflowDns[] {
  const out: DeepflowDns[] = [];
  for (const line of lines(path)) {
    const m = /^(\{.*\}) headers_offset: \d+ is_dns: (true|false)$/.exec(line);
    if (!m) continue;
    const j = JSON.parse(m[1]!) as Record<string, unknown>;
    out.push({
      msgType: j.msg_type as DeepflowMsgType,
      id: Number(j.request_id),
      qtype: String(j.request_type ?? ''),
      qname: String(j.request_resource ?? ''),
      rcode: typeof j.response_code === 'number' ? j.response_code : null,
    });
  }
  return out;
}

export function readDeepflowRedis(path: string): DeepflowRedis[] {
  const out: DeepflowRedis[] = [];
  for (const line of lines(path)) {
    if (!line.startsWith('RedisInfo {') || !line.endsWith('is_redis: true')) continue;
    const request = debugField(line, 'request') ?? '';
    const result = debugField(line, 'response_result') ?? 'Unknown';
    out.push({
      // DeepFlow prints requests with the command and responses with an empty request.
      msgType: request !== '' ? 'Request' : 'Response',
      request,
      command: debugField(line, 'request_type') ?? '',
      result,
      error: debugField(line, 'error') ?? '',
    });
  }
  return out;
}
