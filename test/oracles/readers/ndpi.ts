/**
 * @module test/oracles/readers/ndpi
 * Reads ndpiReader's `<pcap>.out` report: one line per flow with its endpoints and the detected
 * protocol (`[proto: 7.126/HTTP.Google]`, `[proto: GTP:7/HTTP]`). A detection oracle, not per request.
 */
import { readFileSync } from 'node:fs';

export interface NdpiFlow {
  transport: 'tcp' | 'udp';
  a: { ip: string; port: number };
  b: { ip: string; port: number };
  /** The application protocol, without sub-protocol or encapsulation: `HTTP`, `DNS`. */
  master: string;
  /** The label as printed, e.g. `HTTP.Google`. */
  label: string;
  hostname: string | null;
}

function endpoint(text: string): { ip: string; port: number } {
  const m = /^\[?(.+?)\]?:(\d+)$/.exec(text);
  if (!m) throw new Error(`read ndpi flow: bad endpoint ${text}`);
  return { ip: m[1]!.toLowerCase(), port: Number(m[2]) };
}

export function readNdpiFlows(path: string): NdpiFlow[] {
  const flows: NdpiFlow[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\t\d+\t(TCP|UDP) (\S+) <-> (\S+) .*?\[proto: (?:[^\]]*?:)?[\d.]+\/([^\]]+)\]/.exec(line);
    if (!m) continue;
    const label = m[4]!;
    flows.push({
      transport: m[1] === 'TCP' ? 'tcp' : 'udp',
      a: endpoint(m[2]!),
      b: endpoint(m[3]!),
      master: label.split('.')[0]!,
      label,
      hostname: /\[Hostname\/SNI: ([^\]]*)\]/.exec(line)?.[1] ?? null,
    });
  }
  return flows;
}
