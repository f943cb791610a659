/**
 * @module test/oracles/readers/arkime
 * Reads Arkime's `<name>.test` files: `{"sessions3": [{"body": {...}}]}`, one document per session
 * (flow). HTTP fields are per-session sets (method, path, uri, statuscode) plus per-method request
 * counts (`method-GET: 2`); DNS is a list with one entry per query (queryHost, qt, status).
 */
import { readFileSync } from 'node:fs';

export interface ArkimeHttp {
  /** Requests per method, from the `method-<M>` counters. */
  methodCounts: Record<string, number>;
  /** Distinct paths (no query string). */
  paths: string[];
  /** Distinct `host[:port]` + path + query. */
  uris: string[];
  /** Distinct status codes, interim (1xx) ones included. */
  statusCodes: number[];
  hosts: string[];
}

export interface ArkimeDnsQuery {
  /** Query name; Arkime shows IDNA (punycode) names decoded to Unicode. */
  queryHost: string;
  qt: string;
  /** Response code name; absent when no response was seen. */
  status: string | null;
}

export interface ArkimeSession {
  protocols: string[];
  transport: 'tcp' | 'udp' | 'other';
  http: ArkimeHttp | null;
  dns: ArkimeDnsQuery[];
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

export function readArkime(path: string): ArkimeSession[] {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { sessions3: { body: Record<string, any> }[] };
  return doc.sessions3.map(({ body }) => {
    const h = body.http as Record<string, unknown> | undefined;
    let http: ArkimeHttp | null = null;
    if (h) {
      const methodCounts: Record<string, number> = {};
      for (const [k, v] of Object.entries(h)) if (k.startsWith('method-')) methodCounts[k.slice(7)] = Number(v);
      http = {
        methodCounts,
        paths: strings(h.path),
        uris: strings(h.uri),
        statusCodes: strings(h.statuscode).map(Number),
        hosts: strings(h.host),
      };
    }
    const rawDns: unknown = body.dns;
    const dnsList = Array.isArray(rawDns) ? rawDns : rawDns ? [rawDns] : [];
    return {
      protocols: strings(body.protocol),
      transport: body.ipProtocol === 6 ? 'tcp' : body.ipProtocol === 17 ? 'udp' : 'other',
      http,
      dns: dnsList.map((d: Record<string, unknown>) => ({
        queryHost: String(d.queryHost ?? ''),
        qt: String(d.qt ?? ''),
        status: d.status === undefined ? null : String(d.status),
      })),
    };
  });
}
