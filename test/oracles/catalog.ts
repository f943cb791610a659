/**
 * @module test/oracles/catalog
 * The list of oracle captures per protocol, read from the oracles' INDEX.md so that every file
 * listed there is compared (or reported), and none is forgotten when the index grows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProtocolName } from '../../src/records/record.ts';

export type OracleSource = 'deepflow' | 'zeek' | 'suricata-verify' | 'ndpi' | 'arkime';

export interface CatalogEntry {
  /** Path relative to the oracles folder, e.g. `zeek/http/get.pcap`. */
  file: string;
  source: OracleSource;
  protocol: ProtocolName;
  /** The index's own description of the expected output kept for this capture. */
  indexNote: string;
}

/** INDEX.md section headings for the protocols this suite covers. */
const SECTIONS: Record<string, ProtocolName> = {
  'HTTP/1.x': 'http1',
  DNS: 'dns',
  'Redis (RESP)': 'redis',
};

const SOURCES: readonly OracleSource[] = ['deepflow', 'zeek', 'suricata-verify', 'ndpi', 'arkime'];

export function readCatalog(oraclesDir: string): CatalogEntry[] {
  const text = readFileSync(join(oraclesDir, 'INDEX.md'), 'utf8');
  const entries: CatalogEntry[] = [];
  let protocol: ProtocolName | null = null;
  for (const line of text.split('\n')) {
    const heading = /^###\s+(.+?)\s*$/.exec(line);
    if (heading) {
      protocol = SECTIONS[heading[1]!] ?? null;
      continue;
    }
    if (!protocol || !line.startsWith('| `')) continue;
    const cells = line.split(' | ');
    const file = /^\| `([^`]+)`/.exec(line)?.[1];
    if (!file) continue;
    const source = SOURCES.find((s) => file.startsWith(`${s}/`));
    if (!source) throw new Error(`read oracle index: unknown source for ${file}`);
    entries.push({ file, source, protocol, indexNote: (cells[cells.length - 1] ?? '').replace(/\s*\|\s*$/, '') });
  }
  return entries;
}
