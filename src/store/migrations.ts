/**
 * @module store/migrations
 * Versioned schema changes, applied in order at start and recorded in `schema_migrations`.
 * Every statement is idempotent (IF NOT EXISTS), so a start interrupted between a statement and
 * its version row simply re-runs the migration. Append new migrations; never edit applied ones.
 */
import type { Store } from './store.ts';
import {
  onClusterClause, requestsTableDdl, resolveSchemaOptions, rollupDdl, rollupObservationDdl, ttlTargets,
} from './schema.ts';
import type { ResolvedSchemaOptions, SchemaOptions } from './schema.ts';

export interface Migration {
  version: number;
  description: string;
  statements(o: ResolvedSchemaOptions): string[];
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'requests table', statements: requestsTableDdl },
  { version: 2, description: 'per-second and per-minute rollups with materialized views', statements: rollupDdl },
  { version: 3, description: 'observation (client, server, network) as a rollup key', statements: rollupObservationDdl },
];

function migrationsTableDdl(): string {
  // Kept on the node we talk to, not replicated: every statement is idempotent, so two servers
  // applying the same migration at once is harmless.
  return `CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, description String, applied_at DateTime DEFAULT now())\n` +
    `ENGINE = ReplacingMergeTree ORDER BY version`;
}

/** All DDL for a fresh install, in order: what `applyMigrations` would run on an empty database. */
export function allStatements(options: SchemaOptions = {}): string[] {
  const o = resolveSchemaOptions(options);
  return [migrationsTableDdl(), ...MIGRATIONS.flatMap((m) => m.statements(o))];
}

export interface MigrationResult {
  applied: number[];
  current: number;
}

/** Bring the store's schema up to date and its TTLs in line with the options. */
export async function applyMigrations(store: Store, options: SchemaOptions = {}): Promise<MigrationResult> {
  const o = resolveSchemaOptions(options);
  await store.exec(migrationsTableDdl());
  const rows = await store.query<{ version: number | string }>('SELECT version FROM schema_migrations FINAL');
  const done = new Set(rows.map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    for (const sql of m.statements(o)) {
      try {
        await store.exec(sql);
      } catch (err) {
        throw new Error(`apply migration ${m.version} (${m.description}): ${(err as Error).message}`, { cause: err });
      }
    }
    await store.exec('INSERT INTO schema_migrations (version, description) VALUES ({v:UInt32}, {d:String})', { v: m.version, d: m.description });
    applied.push(m.version);
  }
  await alignTtls(store, o);
  return { applied, current: Math.max(0, ...MIGRATIONS.map((m) => m.version)) };
}

/** Re-apply TTLs when `--ttl-days` changed since the tables were created. */
async function alignTtls(store: Store, o: ResolvedSchemaOptions): Promise<void> {
  for (const target of ttlTargets(o)) {
    const rows = await store.query<{ engine_full: string }>(
      'SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = {t:String}', { t: target.table });
    const current = rows[0]?.engine_full ?? '';
    if (current.includes(`toIntervalDay(${target.days})`)) continue;
    await store.exec(`ALTER TABLE ${target.table}${onClusterClause(o)} MODIFY TTL ${target.ttl}`);
  }
}
