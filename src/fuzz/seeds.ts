/**
 * @module fuzz/seeds
 * Seed inputs for fuzzing one protocol: the application payloads of the third-party captures in
 * the oracles folder (read at run time, never copied into the repo), plus the messages of the
 * synthetic benchmark traffic.
 */
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replayFiles } from '../capture/pcap/replay.ts';
import { Counters } from '../util/counters.ts';
import type { StreamEvent } from '../streams/events.ts';
import type { ProtocolName } from '../records/record.ts';

/** Oracle sub-folders that hold captures of each protocol. */
const ORACLE_DIRS: Record<ProtocolName, string[]> = {
  http1: ['http'],
  dns: ['dns'],
  redis: ['redis'],
};

export function oraclesRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return process.env.FLOWSCOPE_ORACLES ?? resolve(here, '../../../shared/oracles');
}

function captures(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) captures(path, out);
    else if (/\.(pcap|pcapng|cap)$/.test(name)) out.push(path);
  }
  return out;
}

/** Payloads of every data event in the oracle captures for `protocol` (deduplicated, bounded). */
export async function oracleSeeds(protocol: ProtocolName, max = 2000): Promise<Uint8Array[]> {
  const root = oraclesRoot();
  if (!existsSync(root)) return [];
  const files = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => ORACLE_DIRS[protocol].flatMap((sub) => captures(join(root, d.name, sub))));
  const seen = new Set<string>();
  const seeds: Uint8Array[] = [];
  for (const file of files) {
    const sink = {
      onEvent(e: StreamEvent) {
        if (e.kind !== 'data' || e.bytes.length === 0 || seeds.length >= max) return;
        const key = Buffer.from(e.bytes.subarray(0, 64)).toString('latin1') + e.bytes.length;
        if (seen.has(key)) return;
        seen.add(key);
        seeds.push(e.bytes.slice());
      },
    };
    try {
      await replayFiles([file], sink, new Counters());
    } catch {
      // A capture our reader rejects still gave the seeds before the error.
    }
  }
  return seeds;
}
