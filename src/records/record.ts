/**
 * @module records/record
 * The canonical request record: one type shared by parsers, stitcher, sinks, store, API and exports.
 * Field names are snake_case columns; docs/record.md maps each to its OpenTelemetry attribute.
 */

/** Application protocols flowscope parses. Each name is also a folder in src/protocols/. */
export type ProtocolName = 'http1' | 'dns' | 'redis';

/** Outcome class of a request, independent of the protocol's own code. */
export type ResponseStatus = 'ok' | 'client_error' | 'server_error' | 'timeout' | 'unknown';

/** Which end of the call observed it: a socket on the client, on the server, or a packet capture. */
export type Observation = 'client' | 'server' | 'network';

/** A process seen on one end of a connection (live capture only). */
export interface ProcessInfo {
  pid: number;
  command: string;
  executable: string | null;
  container_id: string | null;
  service: string;
}

export interface Peer {
  ip: string;
  port: number;
  /** The process behind this end, when the host can see it (live capture); null from captures. */
  process: ProcessInfo | null;
}

export interface RequestRecord {
  /** First byte of the request, nanoseconds since the Unix epoch. */
  start_time: bigint;
  /** First byte of the response (or the time the request was given up on), ns since the epoch. */
  end_time: bigint;
  duration_ns: number;
  protocol: ProtocolName;
  transport: 'tcp' | 'udp';
  observation: Observation;
  client: Peer;
  server: Peer;
  /** HTTP method, DNS query type, Redis command. */
  request_type: string | null;
  /** HTTP Host, DNS query name. */
  request_domain: string | null;
  /** HTTP path with query, DNS name, Redis key and arguments (truncated). */
  request_resource: string | null;
  /** Protocol version as seen on the wire, e.g. "1.1". */
  protocol_version: string | null;
  /** HTTP status, DNS rcode; null where the protocol has none (Redis). */
  response_code: number | null;
  response_status: ResponseStatus;
  /** Error text: Redis error reply, DNS rcode name, HTTP reason phrase on errors. */
  response_message: string | null;
  /** Short protocol-specific summary of the answer (DNS answers, for example). */
  response_summary: string | null;
  /** Bytes on the wire for the request and the response, including bodies that were skipped. */
  request_bytes: number;
  response_bytes: number;
  /** TCP sequence number of the first byte of the request / response; null for UDP or unknown. */
  req_tcp_seq: number | null;
  resp_tcp_seq: number | null;
  trace_id: string | null;
  span_id: string | null;
  parent_span_id: string | null;
  x_request_id: string | null;
}

/** Keys of the record in the order every writer (jsonl, table, store) uses. */
export const RECORD_KEYS: readonly (keyof RequestRecord)[] = [
  'start_time', 'end_time', 'duration_ns', 'protocol', 'transport', 'observation', 'client', 'server',
  'request_type', 'request_domain', 'request_resource', 'protocol_version',
  'response_code', 'response_status', 'response_message', 'response_summary',
  'request_bytes', 'response_bytes', 'req_tcp_seq', 'resp_tcp_seq',
  'trace_id', 'span_id', 'parent_span_id', 'x_request_id',
];

/** Truncate untrusted text for a record field, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}
