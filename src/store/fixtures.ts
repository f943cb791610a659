/**
 * @module store/fixtures
 * Deterministic synthetic records for store tests and benchmarks: known services, endpoints,
 * statuses and durations, from a seeded generator so every run sees the same data.
 */
import type { RequestRecord, ResponseStatus } from '../records/record.ts';

/** Mulberry32: small, fast, seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FixtureCall {
  client: string;
  server: string;
  method: string;
  path: string;
  status: ResponseStatus;
  code: number;
}

export interface MakeRecordInput {
  startNs: bigint;
  durationNs: number;
  clientService: string;
  serverService: string;
  method?: string;
  path?: string;
  status?: ResponseStatus;
  code?: number | null;
  protocol?: 'http1' | 'dns' | 'redis';
}

export function makeRecord(i: MakeRecordInput): RequestRecord {
  const protocol = i.protocol ?? 'http1';
  return {
    start_time: i.startNs,
    end_time: i.startNs + BigInt(i.durationNs),
    duration_ns: i.durationNs,
    protocol,
    transport: protocol === 'dns' ? 'udp' : 'tcp',
    observation: 'server',
    client: { ip: '10.0.0.1', port: 40000, process: { pid: 100, command: i.clientService, executable: null, container_id: null, service: i.clientService } },
    server: { ip: '10.0.0.2', port: 8080, process: { pid: 200, command: i.serverService, executable: `/usr/bin/${i.serverService}`, container_id: null, service: i.serverService } },
    request_type: i.method ?? 'GET',
    request_domain: protocol === 'http1' ? `${i.serverService}.local` : null,
    request_resource: i.path ?? '/',
    protocol_version: protocol === 'http1' ? '1.1' : null,
    response_code: i.code === undefined ? 200 : i.code,
    response_status: i.status ?? 'ok',
    response_message: null,
    response_summary: null,
    request_bytes: 100,
    response_bytes: 1000,
    req_tcp_seq: 12345,
    resp_tcp_seq: null,
    trace_id: null,
    span_id: null,
    parent_span_id: null,
    x_request_id: null,
  };
}
