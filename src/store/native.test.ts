import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from './store.ts';
import { makeRecord } from './fixtures.ts';
import { recordToValues, valuesToLine } from './rows.ts';
import type { RowValues } from './rows.ts';
import { REQUEST_COLUMNS, REQUEST_COLUMN_NAMES } from './schema.ts';
import { encodeNative, planColumns } from './native.ts';

/** Rows that exercise every encoding branch: nulls, non-ASCII, long text, 64-bit values. */
function edgeRows(): RowValues[] {
  const rows: RowValues[] = [];
  for (let i = 0; i < 300; i++) {
    const r = makeRecord({
      startNs: 1_800_000_000_123_456_789n + BigInt(i) * 1_000_003n, durationNs: i * 1000, clientService: `client-${i % 3}`,
      serverService: i % 2 ? 'api' : 'dé-ü-服务', path: i % 5 === 0 ? `/long/${'x'.repeat(100 + i * 70)}` : `/p/${i}?q=é\t\n`,
      code: i % 7 === 0 ? null : -i, status: i % 3 === 0 ? 'server_error' : 'ok',
    });
    if (i % 4 === 0) r.client.process = null;
    r.req_tcp_seq = i % 6 === 0 ? null : 0xffffffff - i;
    r.response_message = i % 9 === 0 ? 'ñ'.repeat(50) : null;
    rows.push(recordToValues(r, 'host-1'));
  }
  // A duration past 2^53 arrives from agents as a bigint.
  rows[1]![3] = 18_000_000_000_000_000_000n;
  return rows;
}

test('a Native block stores exactly what the same rows as TabSeparated store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowscope-native-'));
  const store = await openStore({ dataDir: dir });
  try {
    await store.exec('CREATE TABLE requests_tsv AS requests');
    const rows = edgeRows();
    assert.equal(await store.insertRows('requests', REQUEST_COLUMNS, rows), rows.length);
    await store.insert('requests_tsv', REQUEST_COLUMN_NAMES, rows.map(valuesToLine).join('\n'), 'TabSeparated');
    const select = (t: string) => store.query(`SELECT * FROM ${t} ORDER BY request_id`);
    const [native, tsv] = [await select('requests'), await select('requests_tsv')];
    assert.equal(native.length, rows.length);
    assert.deepEqual(native, tsv);
    const one = native.find((r) => r.duration_ns === '18000000000000000000');
    assert.ok(one, 'UInt64 beyond 2^53 kept');
    const rollup = await store.query<{ n: string }>('SELECT sum(requests) AS n FROM requests_1s');
    assert.equal(Number(rollup[0]!.n), rows.length, 'materialized views see Native inserts');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('native encoder: block header, UUID byte order, and unknown types refused', () => {
  const cols = [{ name: 'u', type: 'UUID' }, { name: 's', type: 'LowCardinality(String)' }, { name: 'n', type: 'Nullable(UInt32)' }];
  const block = encodeNative(cols, [['01234567-89ab-cdef-0123-456789abcdef', 'ab', null], ['01234567-89ab-cdef-0123-456789abcdef', '', 7]]);
  const hex = block.toString('hex');
  assert.ok(hex.startsWith('0302' + '0175' + '0455554944' + 'efcdab8967452301efcdab8967452301'), hex);
  // LowCardinality: name, type, keys version 1, flags (UInt8 indexes | additional keys | update), 2 keys ('' and 'ab'), 2 rows, indexes 1 0.
  const lc = '0173' + '16' + Buffer.from('LowCardinality(String)').toString('hex') + '0100000000000000' + '0006000000000000' +
    '0200000000000000' + '00' + '026162' + '0200000000000000' + '0100';
  assert.ok(hex.includes(lc), 'LowCardinality dictionary');
  assert.ok(hex.endsWith('0100' + '00000000' + '07000000'), 'null map, then values');
  assert.throws(() => planColumns([{ name: 'a', type: 'Array(String)' }]), /cannot write/);
  assert.throws(() => encodeNative([{ name: 'u', type: 'UUID' }], [['not-a-uuid']]), /not a UUID/);
});
