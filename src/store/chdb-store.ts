/**
 * @module store/chdb-store
 * The embedded engine: ClickHouse in-process through chdb, persisted to a data directory.
 * Queries and inserts use chdb's async calls, which run on libuv worker threads, so the event
 * loop stays free while the engine works. libchdb binds one data directory per process: open
 * one ChdbStore per process (a second one at the same path shares the engine).
 */
import { mkdirSync } from 'node:fs';
import { Session, drainPending } from 'chdb';
import type { InsertFormat, QueryOptions, QueryParams, Store } from './store.ts';
import { StoreError } from './store.ts';

function wrap(err: unknown, what: string): StoreError {
  const e = err as { message?: string; clickhouseCode?: number };
  const message = String(e?.message ?? err).replace(/\s+\(version [^)]*\)/g, '');
  return new StoreError(`${what}: ${message}`, typeof e?.clickhouseCode === 'number' ? e.clickhouseCode : null, { cause: err });
}

export function parseJsonEachRow<T>(text: string): T[] {
  const out: T[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) out.push(JSON.parse(text.slice(start, end)) as T);
    start = end + 1;
  }
  return out;
}

export class ChdbStore implements Store {
  readonly kind = 'chdb' as const;
  private closed = false;

  private constructor(private readonly session: Session, readonly location: string) {}

  static async open(dataDir: string): Promise<ChdbStore> {
    mkdirSync(dataDir, { recursive: true });
    // A previous store in this process may still be finishing work on its connection.
    await drainPending();
    const session = new Session(dataDir, {
      connectionArgs: [
        '--output_format_json_quote_64bit_integers=1',
        '--async_load_databases=0',
        '--session_timezone=UTC',
      ],
    });
    return new ChdbStore(session, dataDir);
  }

  async exec(sql: string, params?: QueryParams): Promise<void> {
    this.check();
    try {
      if (params && Object.keys(params).length > 0) await this.session.queryBindAsync(sql, params, { format: 'JSONEachRow' });
      else await this.session.queryAsync(sql, { format: 'JSONEachRow' });
    } catch (err) {
      throw wrap(err, 'exec');
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params?: QueryParams, options: QueryOptions = {}): Promise<T[]> {
    this.check();
    const opts = { format: 'JSONEachRow', ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}) };
    let text: string;
    try {
      const result = params && Object.keys(params).length > 0
        ? await this.session.queryBindAsync(sql, params, opts)
        : await this.session.queryAsync(sql, opts);
      text = result.text();
    } catch (err) {
      throw wrap(err, 'query');
    }
    return parseJsonEachRow<T>(text);
  }

  async insert(table: string, columns: readonly string[], body: string, format: InsertFormat): Promise<number> {
    this.check();
    if (body.length === 0) return 0;
    try {
      const summary = await this.session.insert({ table, columns, values: Buffer.from(body), format });
      return summary.rowsSent ?? 0;
    } catch (err) {
      throw wrap(err, `insert into ${table}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
    await drainPending();
  }

  private check(): void {
    if (this.closed) throw new StoreError('store is closed', null);
  }
}
