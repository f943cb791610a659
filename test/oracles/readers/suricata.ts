/**
 * @module test/oracles/readers/suricata
 * Reads the `checks:` of a suricata-verify `test.yaml`: each `filter` says that exactly `count`
 * eve.json events match all `match` fields. Only this subset of YAML (lists of filters with scalar
 * fields) occurs in these files, so a small line parser is enough and no YAML package is needed.
 */
import { readFileSync } from 'node:fs';

export interface SuricataFilter {
  count: number;
  /** eve.json field path (`http.status`, `dns.queries[0].rrname`) -> expected scalar, as text. */
  match: Record<string, string>;
}

function scalar(text: string): string {
  const t = text.trim();
  if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'"))) return t.slice(1, -1);
  return t;
}

export function readSuricataChecks(path: string): SuricataFilter[] {
  const filters: SuricataFilter[] = [];
  let inChecks = false;
  let current: SuricataFilter | null = null;
  let matchIndent = -1;
  for (const rawLine of readFileSync(path, 'utf8').split('\n')) {
    if (rawLine.trim() === '' || rawLine.trim().startsWith('#')) continue;
    const indent = rawLine.length - rawLine.trimStart().length;
    const line = rawLine.trim();
    if (indent === 0 && !line.startsWith('-')) {
      inChecks = line === 'checks:';
      current = null;
      continue;
    }
    if (!inChecks) continue;
    if (/^- filter:\s*$/.test(line)) {
      current = { count: NaN, match: {} };
      filters.push(current);
      matchIndent = -1;
      continue;
    }
    if (!current) continue;
    if (matchIndent >= 0 && indent > matchIndent) {
      const m = /^([^:]+):\s*(.*)$/.exec(line);
      if (m) current.match[m[1]!.trim()] = scalar(m[2]!);
      continue;
    }
    matchIndent = -1;
    const count = /^count:\s*(\d+)\s*$/.exec(line);
    if (count) current.count = Number(count[1]);
    else if (line === 'match:') matchIndent = indent;
  }
  return filters;
}
