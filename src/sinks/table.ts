/**
 * @module sinks/table
 * A readable one-line-per-request view for terminals.
 */
import type { Peer, RequestRecord } from '../records/record.ts';

function time(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().slice(11, 23);
}

function peer(p: Peer): string {
  const addr = p.ip.includes(':') ? `[${p.ip}]:${p.port}` : `${p.ip}:${p.port}`;
  return p.process ? `${p.process.service}(${p.process.pid})` : addr;
}

function duration(ns: number): string {
  if (ns < 1_000_000) return `${(ns / 1000).toFixed(0)}µs`;
  if (ns < 10_000_000_000) return `${(ns / 1_000_000).toFixed(2)}ms`;
  return `${(ns / 1e9).toFixed(1)}s`;
}

export const TABLE_HEADER = ['TIME', 'PROTO', 'CLIENT', 'SERVER', 'TYPE', 'RESOURCE', 'STATUS', 'DURATION']
  .map((h, i) => h.padEnd([12, 6, 22, 22, 8, 40, 14, 9][i]!)).join(' ');

export function recordToRow(r: RequestRecord): string {
  const resource = r.request_domain && r.protocol === 'http1'
    ? `${r.request_domain}${r.request_resource ?? ''}`
    : r.request_resource ?? '';
  const status = r.response_code !== null ? `${r.response_code} ${r.response_status}` : r.response_status;
  const cells = [
    time(r.start_time), r.protocol, peer(r.client), peer(r.server), r.request_type ?? '-',
    resource.length > 40 ? resource.slice(0, 39) + '…' : resource, status, duration(r.duration_ns),
  ];
  return cells.map((c, i) => c.padEnd([12, 6, 22, 22, 8, 40, 14, 9][i]!)).join(' ').trimEnd();
}
