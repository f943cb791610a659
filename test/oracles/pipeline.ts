/**
 * @module test/oracles/pipeline
 * Replays one capture through our real offline pipeline, in process: pcap reader -> connection
 * table -> protocol parsers and stitcher -> records, exactly as `flowscope replay` does.
 */
import { replayFiles } from '../../src/capture/pcap/replay.ts';
import { ConnectionTable } from '../../src/streams/connection-table.ts';
import { Counters } from '../../src/util/counters.ts';
import type { RequestRecord } from '../../src/records/record.ts';

export interface Replayed {
  records: RequestRecord[];
  counters: Record<string, number>;
  /** The reader's error when the capture could not be read to its end (records before it are kept). */
  error: string | null;
}

export async function replayCapture(path: string): Promise<Replayed> {
  const records: RequestRecord[] = [];
  const counters = new Counters();
  const table = new ConnectionTable((r) => records.push(r), { counters });
  let error: string | null = null;
  try {
    await replayFiles([path], table, counters);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  table.flush();
  return { records, counters: counters.snapshot(), error };
}
