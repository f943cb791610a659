/**
 * @module store/clickhouse-store
 * A ClickHouse server or cluster through `@clickhouse/client` (HTTP). Credentials and database
 * come from the URL (`http://user:password@host:8123/database`) and never appear in `location`.
 */
import { Readable } from 'node:stream';
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import type { InsertFormat, QueryOptions, QueryParams, Store } from './store.ts';
import { StoreError } from './store.ts';
import type { ColumnSpec } from './schema.ts';
import { valuesToLine } from './rows.ts';
import type { RowValues } from './rows.ts';

export interface ClickHouseConnection {
  url: string;
  username: string;
  password: string;
  database: string;
  /** The URL without credentials, for logs. */
  location: string;
}

/** Split `http://user:pass@host:port/db` into what the client takes. */
export function parseClickHouseUrl(raw: string): ClickHouseConnection {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`--clickhouse: ${JSON.stringify(raw)} is not a URL (expected http://user:password@host:8123/database)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`--clickhouse: scheme must be http or https, got ${u.protocol}`);
  const database = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, '')) || 'default';
  const username = decodeURIComponent(u.username) || 'default';
  const password = decodeURIComponent(u.password);
  const base = `${u.protocol}//${u.host}`;
  return { url: base, username, password, database, location: `${base}/${database}` };
}

function wrap(err: unknown, what: string): StoreError {
  const e = err as { message?: string; code?: string };
  const code = e?.code !== undefined && /^\d+$/.test(e.code) ? Number(e.code) : null;
  return new StoreError(`${what}: ${String(e?.message ?? err)}`, code, { cause: err });
}

export class ClickHouseServerStore implements Store {
  readonly kind = 'clickhouse' as const;
  readonly location: string;
  private readonly client: ClickHouseClient;

  constructor(url: string) {
    const c = parseClickHouseUrl(url);
    this.location = c.location;
    this.client = createClient({
      url: c.url,
      username: c.username,
      password: c.password,
      database: c.database,
      compression: { request: true, response: true },
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1, date_time_input_format: 'best_effort' },
    });
  }

  async exec(sql: string, params?: QueryParams): Promise<void> {
    try {
      await this.client.command({ query: sql, query_params: params ?? {} });
    } catch (err) {
      throw wrap(err, 'exec');
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params?: QueryParams, options: QueryOptions = {}): Promise<T[]> {
    const abort = options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined;
    try {
      const rs = await this.client.query({ query: sql, query_params: params ?? {}, format: 'JSONEachRow', ...(abort ? { abort_signal: abort } : {}) });
      return await rs.json<T>();
    } catch (err) {
      throw wrap(err, 'query');
    }
  }

  async insert(table: string, columns: readonly string[], body: string, format: InsertFormat): Promise<number> {
    if (body.length === 0) return 0;
    try {
      await this.client.insert({
        table,
        values: Readable.from([Buffer.from(body.endsWith('\n') ? body : body + '\n')]),
        format,
        columns: columns as [string, ...string[]],
      });
    } catch (err) {
      throw wrap(err, `insert into ${table}`);
    }
    let n = 0;
    for (let i = body.indexOf('\n'); i >= 0; i = body.indexOf('\n', i + 1)) n++;
    return body.endsWith('\n') ? n : n + 1;
  }

  async insertRows(table: string, columns: readonly ColumnSpec[], rows: readonly RowValues[]): Promise<number> {
    if (rows.length === 0) return 0;
    // TabSeparated: a format every ClickHouse client and server version reads.
    return this.insert(table, columns.map((c) => c.name), rows.map(valuesToLine).join('\n'), 'TabSeparated');
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
