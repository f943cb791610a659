/**
 * @module sinks/jsonl
 * Writes records as JSON lines with the canonical keys. Nanosecond timestamps are written as
 * decimal strings (as OTLP/JSON does for 64-bit integers) because JSON numbers above 2^53 lose
 * precision in most readers.
 */
import type { RequestRecord } from '../records/record.ts';

export function recordToJson(record: RequestRecord): string {
  return JSON.stringify(record, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
}

/** Parses a line written by recordToJson back into a record (tests, tools). */
export function recordFromJson(line: string): RequestRecord {
  const raw = JSON.parse(line);
  return { ...raw, start_time: BigInt(raw.start_time), end_time: BigInt(raw.end_time) };
}
