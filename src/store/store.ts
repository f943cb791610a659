/**
 * @module store/store
 * The narrow contract every storage engine implements, and `openStore`, which picks the engine
 * from options and brings its schema up to date. Engines run the same SQL: the embedded one
 * (chdb, in-process, persisted to a data directory) and a ClickHouse server or cluster.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations } from './migrations.ts';
import type { ColumnSpec, SchemaOptions } from './schema.ts';
import type { RowValues } from './rows.ts';

/** Query parameters, bound server-side to `{name:Type}` placeholders. Never spliced into SQL. */
export type QueryParams = Record<string, string | number | boolean | null | readonly (string | number)[]>;

/** Formats a pre-serialized insert body may use. */
export type InsertFormat = 'JSONEachRow' | 'JSONCompactEachRow' | 'TabSeparated';

/**
 * A storage engine. Safe for concurrent calls; callers never see engine-specific types.
 * Errors are thrown as `StoreError` with the engine's message.
 */
export interface Store {
  readonly kind: 'chdb' | 'clickhouse';
  /** Where the data lives: a directory or a URL without credentials. */
  readonly location: string;
  /** Run a statement that returns no rows (DDL, INSERT ... VALUES with parameters). */
  exec(sql: string, params?: QueryParams): Promise<void>;
  /** Run a query and return its rows as objects (64-bit integers arrive as strings). */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams, options?: QueryOptions): Promise<T[]>;
  /** Insert a pre-serialized body, one row per line, into `table` (columns in `columns` order). */
  insert(table: string, columns: readonly string[], body: string, format: InsertFormat): Promise<number>;
  /**
   * Insert rows given as positional values in `columns` order, in whatever encoding the engine
   * reads fastest (the writer's path). One call is one insert: all rows or none.
   */
  insertRows(table: string, columns: readonly ColumnSpec[], rows: readonly RowValues[]): Promise<number>;
  close(): Promise<void>;
}

export interface QueryOptions {
  /** Reject after this long (the engine may finish the work in the background). */
  timeoutMs?: number;
}

/** An error from a storage engine, with ClickHouse's numeric code when known. */
export class StoreError extends Error {
  constructor(message: string, readonly code: number | null, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

export interface OpenStoreOptions extends SchemaOptions {
  /** ClickHouse server URL (http(s)://user:password@host:8123/database); embedded when absent. */
  clickhouse?: string;
  /** Data directory of the embedded engine. Default: see `defaultDataDir`. */
  dataDir?: string;
  /** Skip migrations (tests of migrations themselves). */
  skipMigrations?: boolean;
}

/** `/var/lib/flowscope` as root, else `$XDG_DATA_HOME/flowscope` or `~/.local/share/flowscope`. */
export function defaultDataDir(): string {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return '/var/lib/flowscope';
  const xdg = process.env.XDG_DATA_HOME;
  return join(xdg && xdg.length > 0 ? xdg : join(homedir(), '.local', 'share'), 'flowscope');
}

/**
 * Open the configured engine and apply pending migrations.
 * @example
 *   const store = await openStore({ dataDir: '/tmp/fs' });
 *   const writer = new RecordWriter(store, { counters });
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  let store: Store;
  if (options.clickhouse) {
    const { ClickHouseServerStore } = await import('./clickhouse-store.ts');
    store = new ClickHouseServerStore(options.clickhouse);
  } else {
    if (options.cluster) throw new Error('open store: --cluster needs a ClickHouse server (--clickhouse <url>)');
    const { ChdbStore } = await import('./chdb-store.ts');
    store = await ChdbStore.open(options.dataDir ?? defaultDataDir());
  }
  if (!options.skipMigrations) {
    try {
      await applyMigrations(store, options);
    } catch (err) {
      await store.close().catch(() => {});
      throw err;
    }
  }
  return store;
}
