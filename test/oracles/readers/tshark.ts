/**
 * @module test/oracles/readers/tshark
 * Reads `tshark-counts.json`, the request/response counts tshark 4.0 found in each capture. A weak
 * oracle (the index says so): used only where the source tool's own output pins nothing per request.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TsharkCounts {
  req: number;
  resp: number;
  notes: string[];
}

export function readTsharkCounts(oraclesDir: string): Map<string, TsharkCounts> {
  const raw = JSON.parse(readFileSync(join(oraclesDir, 'tshark-counts.json'), 'utf8')) as Record<string, any>;
  const out = new Map<string, TsharkCounts>();
  for (const [file, v] of Object.entries(raw)) {
    out.set(file, { req: Number(v.req), resp: Number(v.resp), notes: Array.isArray(v.notes) ? v.notes.map(String) : [] });
  }
  return out;
}
