import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from './store.ts';
import { applyMigrations, MIGRATIONS } from './migrations.ts';
import { resolveSchemaOptions, REQUEST_COLUMNS } from './schema.ts';
import { makeRecord } from './fixtures.ts';
import { recordToValues } from './rows.ts';

test('migration 3 adds observation to rollups of a version-2 store; old rows keep observation ""', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowscope-migrate-'));
  const store = await openStore({ dataDir: dir, skipMigrations: true });
  try {
    // A store as version 2 left it, holding one request.
    await store.exec('CREATE TABLE schema_migrations (version UInt32, description String, applied_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree ORDER BY version');
    const o = resolveSchemaOptions();
    for (const m of MIGRATIONS.filter((x) => x.version <= 2)) {
      for (const sql of m.statements(o)) await store.exec(sql);
      await store.exec('INSERT INTO schema_migrations (version, description) VALUES ({v:UInt32}, {d:String})', { v: m.version, d: m.description });
    }
    const startNs = BigInt(Date.now() - 60_000) * 1_000_000n;
    await store.insertRows('requests', REQUEST_COLUMNS, [recordToValues(makeRecord({ startNs, durationNs: 5, clientService: 'a', serverService: 'b' }), 'h')]);

    const result = await applyMigrations(store);
    assert.deepEqual(result.applied, [3]);
    const client = makeRecord({ startNs, durationNs: 7, clientService: 'a', serverService: 'b' });
    client.observation = 'client';
    await store.insertRows('requests', REQUEST_COLUMNS, [recordToValues(client, 'h')]);
    for (const table of ['requests_1s', 'requests_1m']) {
      const rows = await store.query<{ observation: string; n: string }>(
        `SELECT observation, sum(requests) AS n FROM ${table} GROUP BY observation ORDER BY observation`);
      assert.deepEqual(rows.map((r) => [r.observation, Number(r.n)]), [['', 1], ['client', 1]], table);
      const key = await store.query<{ sorting_key: string }>('SELECT sorting_key FROM system.tables WHERE database = currentDatabase() AND name = {t:String}', { t: table });
      assert.match(key[0]!.sorting_key, /endpoint, observation$/);
    }
    // Running the statements again (a start interrupted before the version row) is harmless.
    for (const sql of MIGRATIONS.find((m) => m.version === 3)!.statements(o)) await store.exec(sql);
    assert.deepEqual((await applyMigrations(store)).applied, []);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
