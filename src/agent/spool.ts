/**
 * @module agent/spool
 * A bounded on-disk queue of gzip batches, kept while the server is unreachable. One file per
 * batch, named `<sequence>-<rows>.ndjson.gz` so the oldest is first in name order and a dropped
 * file's rows can be counted without reading it. Over the byte bound, the oldest files go first
 * and are counted in `agent.spool_dropped_records`. Files are written to a temporary name and
 * renamed, so a crash never leaves half a batch. Not safe for two processes on one directory.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Counters } from '../util/counters.ts';

export interface SpooledBatch {
  name: string;
  rows: number;
  bytes: number;
}

const FILE = /^(\d{16})-(\d+)\.ndjson\.gz$/;

export class Spool {
  private readonly files: SpooledBatch[] = [];
  private totalBytes = 0;
  private nextSeq = 0;

  constructor(readonly dir: string, readonly maxBytes: number, private readonly counters: Counters) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir).sort()) {
      const m = FILE.exec(name);
      if (!m) {
        if (name.endsWith('.tmp')) unlinkSync(join(dir, name));
        continue;
      }
      const bytes = statSync(join(dir, name)).size;
      this.files.push({ name, rows: Number(m[2]), bytes });
      this.totalBytes += bytes;
      this.nextSeq = Math.max(this.nextSeq, Number(m[1]) + 1);
    }
  }

  get size(): number {
    return this.files.length;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get rows(): number {
    return this.files.reduce((n, f) => n + f.rows, 0);
  }

  /** Store a batch, dropping the oldest batches if the spool would exceed its bound. */
  put(data: Buffer, rows: number): void {
    const name = `${String(this.nextSeq++).padStart(16, '0')}-${rows}.ndjson.gz`;
    const tmp = join(this.dir, `${name}.tmp`);
    writeFileSync(tmp, data);
    renameSync(tmp, join(this.dir, name));
    this.files.push({ name, rows, bytes: data.length });
    this.totalBytes += data.length;
    this.counters.add('agent.spooled_records', rows);
    while (this.totalBytes > this.maxBytes && this.files.length > 0) {
      const old = this.files[0]!;
      this.remove(old);
      this.counters.add('agent.spool_dropped_records', old.rows);
    }
  }

  oldest(): SpooledBatch | null {
    return this.files[0] ?? null;
  }

  read(batch: SpooledBatch): Buffer {
    return readFileSync(join(this.dir, batch.name));
  }

  remove(batch: SpooledBatch): void {
    const i = this.files.indexOf(batch);
    if (i < 0) return;
    this.files.splice(i, 1);
    this.totalBytes -= batch.bytes;
    try {
      unlinkSync(join(this.dir, batch.name));
    } catch {
      // Already gone: nothing to undo.
    }
  }
}
