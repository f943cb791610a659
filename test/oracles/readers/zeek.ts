/**
 * @module test/oracles/readers/zeek
 * Reads Zeek btest baselines kept in `<pcap>.zeek-baseline/<btest-name>/`: TSV logs (http.log,
 * dns.log, redis.log) and the few script outputs that state per-request facts (redis AUTH results,
 * printed SET commands, HTTP header sets).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One log row: field name -> value; null for Zeek's unset `-`, '' for `(empty)`. */
export type ZeekRow = Record<string, string | null>;

export interface ZeekBaselineFile {
  btest: string;
  name: string;
  path: string;
}

export function zeekBaselineFiles(pcapPath: string): ZeekBaselineFile[] {
  const dir = `${pcapPath}.zeek-baseline`;
  if (!existsSync(dir)) return [];
  const out: ZeekBaselineFile[] = [];
  for (const btest of readdirSync(dir).sort()) {
    for (const name of readdirSync(join(dir, btest)).sort()) out.push({ btest, name, path: join(dir, btest, name) });
  }
  return out;
}

/** Parses a Zeek ASCII (TSV) log. */
export function readZeekLog(path: string): ZeekRow[] {
  let fields: string[] = [];
  let unset = '-';
  let empty = '(empty)';
  const rows: ZeekRow[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.startsWith('#')) {
      const [tag, ...rest] = line.split('\t');
      if (tag === '#fields') fields = rest;
      else if (tag === '#unset_field') unset = rest[0] ?? unset;
      else if (tag === '#empty_field') empty = rest[0] ?? empty;
      continue;
    }
    if (line.trim() === '' || fields.length === 0) continue;
    const values = line.split('\t');
    const row: ZeekRow = {};
    fields.forEach((f, i) => {
      const v = values[i] ?? unset;
      row[f] = v === unset ? null : v === empty ? '' : v;
    });
    rows.push(row);
  }
  return rows;
}

/** Lines of a script output baseline, without btest's banner line. */
export function readZeekOutput(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('### BTest baseline'));
}

/** `redis.auth` output: one entry per AUTH command with its outcome. */
export function readZeekRedisAuth(path: string): { username: string; ok: boolean }[] {
  const out: { username: string; ok: boolean }[] = [];
  let username = '';
  for (const line of readZeekOutput(path)) {
    const user = /^username: (.*)$/.exec(line);
    if (user) username = user[1]!;
    if (line.startsWith('Auth succeeded:')) out.push({ username, ok: true });
    if (line.startsWith('Auth failed:')) out.push({ username, ok: false });
  }
  return out;
}

/** `SET: key value` (redis.bulk) and `Key: k Value: v` (redis.set) lines: the SET commands seen. */
export function readZeekRedisSets(path: string): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (const line of readZeekOutput(path)) {
    const a = /^SET: (\S+) (.*)$/.exec(line) ?? /^Key: (\S+) Value: (.*)$/.exec(line);
    if (a) out.push({ key: a[1]!, value: a[2]! });
  }
  return out;
}

/** `Found N SET commands` (redis.django-cloud output). */
export function readZeekSetCount(path: string): number | null {
  for (const line of readZeekOutput(path)) {
    const m = /^Found (\d+) SET commands$/.exec(line);
    if (m) return Number(m[1]);
  }
  return null;
}

/**
 * `http.all-headers-event` output: one `http_all_headers` block per message. Blocks with a HOST
 * header are requests (the value is returned), the others responses.
 */
export function readZeekAllHeaders(path: string): { requestHosts: string[]; responses: number } {
  const requestHosts: string[] = [];
  let responses = 0;
  let block: string[] | null = null;
  const finish = (): void => {
    if (!block) return;
    const host = block.map((l) => /name=HOST, value=(.*)\],?$/.exec(l)?.[1]).find((v) => v !== undefined);
    if (host !== undefined) requestHosts.push(host);
    else responses++;
  };
  for (const line of readZeekOutput(path)) {
    if (line === 'http_all_headers') {
      finish();
      block = [];
    } else if (block) {
      block.push(line);
    }
  }
  finish();
  return { requestHosts, responses };
}
