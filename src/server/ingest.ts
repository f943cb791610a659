/**
 * @module server/ingest
 * Decodes a batch shipped by an agent: gzip (or plain) NDJSON, one `requests` row per line.
 * Every row is checked field by field before any of it reaches the writer; one bad row rejects
 * the batch with the line number and the reason, so a broken agent is visible, not silent.
 */
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { checkRow, rowToValues } from '../store/rows.ts';
import type { RowValues } from '../store/rows.ts';

const gunzipAsync = promisify(gunzip);

export type IngestDecode = { ok: true; rows: RowValues[] } | { ok: false; status: number; reason: string };

/** Decode and check a batch body; `rows` are ready for RecordWriter.writeValues. */
export async function decodeBatch(body: Buffer, encoding: string | undefined, maxBytes: number): Promise<IngestDecode> {
  let text: string;
  if (encoding === 'gzip') {
    try {
      text = (await gunzipAsync(body, { maxOutputLength: maxBytes })).toString('utf8');
    } catch (err) {
      const tooBig = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      return tooBig
        ? { ok: false, status: 413, reason: `batch is larger than ${maxBytes} bytes uncompressed` }
        : { ok: false, status: 400, reason: `body is not valid gzip: ${(err as Error).message}` };
    }
  } else if (encoding === undefined || encoding === 'identity') {
    text = body.toString('utf8');
  } else {
    return { ok: false, status: 415, reason: `Content-Encoding ${encoding} is not supported (use gzip)` };
  }
  const rows: RowValues[] = [];
  let lineNo = 0;
  for (const raw of text.split('\n')) {
    lineNo++;
    if (raw.trim().length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return { ok: false, status: 400, reason: `line ${lineNo}: not JSON` };
    }
    const checked = checkRow(value);
    if (!checked.ok) return { ok: false, status: 400, reason: `line ${lineNo}: ${checked.reason}` };
    rows.push(rowToValues(checked.row));
  }
  return { ok: true, rows };
}
