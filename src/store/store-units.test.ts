import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkReadOnlySql, withReadOnlyLimits } from './sql-guard.ts';
import { splitRange } from './queries.ts';
import { checkRow, endpointOf, recordToValues, rowToValues, valuesToLine, rowToLine, normalizePath, nsToDecimal, recordToRow, requestIdFor, requestIdTimeMs } from './rows.ts';
import { allStatements } from './migrations.ts';
import { makeRecord } from './fixtures.ts';

test('nsToDecimal keeps all nine digits', () => {
  assert.equal(nsToDecimal(1_700_000_000_123_456_789n), '1700000000.123456789');
  assert.equal(nsToDecimal(1_700_000_000_000_000_001n), '1700000000.000000001');
  assert.equal(nsToDecimal(5n), '0.000000005');
});

test('request ids are UUIDv7 carrying the start millisecond', () => {
  const ns = 1_796_033_509_970_123_456n;
  const id = requestIdFor(ns);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(requestIdTimeMs(id), 1_796_033_509_970);
  assert.notEqual(requestIdFor(ns), id);
  assert.equal(requestIdTimeMs('01a22bf0-7a52-4bf7-8662-3a5cca91c8bd'), null, 'not v7');
});

test('endpoints collapse ids and drop query strings', () => {
  assert.equal(normalizePath('/users/42/orders?x=1'), '/users/{id}/orders');
  assert.equal(normalizePath('/a/0f8fad5b-d9cb-469f-a165-70867728950e'), '/a/{id}');
  assert.equal(normalizePath('/v1/items/deadbeefdeadbeef01'), '/v1/items/{id}');
  assert.equal(normalizePath('/v1/health'), '/v1/health');
  assert.equal(normalizePath(''), '/');
  assert.equal(endpointOf({ protocol: 'redis', request_type: 'GET', request_resource: 'user:1', request_domain: null }), 'GET');
  assert.equal(endpointOf({ protocol: 'dns', request_type: 'A', request_resource: 'x.com', request_domain: 'x.com' }), 'A x.com');
});

test('checkRow accepts our rows and names the bad field otherwise', () => {
  const row = recordToRow(makeRecord({ startNs: 1_800_000_000_000_000_000n, durationNs: 5, clientService: 'a', serverService: 'b' }), 'h');
  assert.equal(checkRow(JSON.parse(JSON.stringify(row))).ok, true);
  const bad = (patch: object) => {
    const r = checkRow({ ...row, ...patch });
    return r.ok ? 'ok' : r.reason;
  };
  assert.match(bad({ start_time: '1800000000.5; DROP' }), /start_time/);
  assert.match(bad({ client_port: 70000 }), /ports/);
  assert.match(bad({ response_code: 'x' }), /response_code/);
  assert.match(bad({ request_id: 'nope' }), /request_id/);
  assert.match(bad({ host: 5 }), /host/);
  assert.equal(checkRow(null).ok, false);
});

test('splitRange covers [from, to) exactly with aligned rollup buckets', () => {
  const cases: [number, number][] = [[1_000_000_012_345, 1_000_000_187_654], [60_000, 180_000], [60_100, 60_900], [61_500, 65_250], [59_999, 120_001], [0, 1]];
  for (const [from, to] of cases) {
    const segs = splitRange({ fromMs: from, toMs: to });
    let at = from;
    for (const s of segs) {
      assert.equal(s.fromMs, at, `contiguous ${from}..${to}`);
      assert.ok(s.toMs > s.fromMs);
      if (s.source === 'requests_1s') assert.ok(s.fromMs % 1000 === 0 && s.toMs % 1000 === 0);
      if (s.source === 'requests_1m') assert.ok(s.fromMs % 60_000 === 0 && s.toMs % 60_000 === 0);
      at = s.toMs;
    }
    assert.equal(at, to);
  }
  assert.deepEqual(splitRange({ fromMs: 60_000, toMs: 180_000 }).map((s) => s.source), ['requests_1m']);
  assert.deepEqual(splitRange({ fromMs: 10, toMs: 10 }), []);
});

test('sql guard: reads pass, anything else is rejected before the engine sees it', () => {
  for (const sql of ['SELECT 1', 'with x as (select 1) select * from x', 'SHOW TABLES', 'DESCRIBE TABLE requests', 'EXPLAIN SELECT 1', "SELECT 'a;b' -- c", 'SELECT 1;;  ', "SELECT 'it''s', \"col\" FROM t /* note */"]) {
    const r = checkReadOnlySql(sql);
    assert.ok(r.ok, `${sql}: ${r.ok ? '' : r.reason}`);
  }
  for (const [sql, why] of [
    ['INSERT INTO t VALUES (1)', /only SELECT/], ['SELECT 1; SELECT 2', /one statement/], ['select 1 settings readonly=0', /SETTINGS/],
    ['SELECT 1 FORMAT CSV', /FORMAT/], ["SELECT 1 INTO OUTFILE 'x'", /OUTFILE/], ['SELECT $x$a$x$', /not allowed/], ['SELECT 1 # hi', /not allowed/],
    ["DESC url('http://x')", /table function/], ["SELECT 'open", /unterminated/], ['/* only a comment */', /empty/], [42, /string/],
['SELECT 1 /* unclosed', /unterminated/],
  ] as [unknown, RegExp][]) {
    const r = checkReadOnlySql(sql);
    assert.equal(r.ok, false, String(sql));
    if (!r.ok) assert.match(r.reason, why, String(sql));
  }
  // A backslash-escaped quote keeps the string open, as in ClickHouse: all of this is one literal.
  const lit = checkReadOnlySql("SELECT '\\'; DROP TABLE t; --'");
  assert.ok(lit.ok);
  const r = checkReadOnlySql('SELECT 1; -- done');
  assert.ok(r.ok);
  if (r.ok) assert.match(withReadOnlyLimits(r.sql), /^SELECT 1\nSETTINGS .*readonly = 1$/);
});

test('cluster layout: replicated local tables, distributed fronts, every DDL on the cluster', () => {
  const stmts = allStatements({ cluster: 'prod', database: 'fs', ttlDays: 7 });
  const ddl = stmts.slice(1);
  for (const s of ddl) assert.match(s, / ON CLUSTER prod /, s.slice(0, 80));
  const joined = stmts.join('\n');
  assert.match(joined, /CREATE TABLE IF NOT EXISTS requests_local ON CLUSTER prod[\s\S]*ReplicatedMergeTree\('\/clickhouse\/tables\/\{shard\}\/fs\/requests', '\{replica\}'\)/);
  assert.match(joined, /ENGINE = Distributed\(prod, fs, requests_local, rand\(\)\)/);
  assert.match(joined, /ReplicatedAggregatingMergeTree\('\/clickhouse\/tables\/\{shard\}\/fs\/requests_1s'/);
  assert.match(joined, /requests_1m_local_mv ON CLUSTER prod TO requests_1m_local AS[\s\S]*FROM requests_local/);
  assert.match(joined, /INTERVAL 7 DAY/);
  assert.throws(() => allStatements({ cluster: 'x; DROP' }), /identifier/);
  assert.throws(() => allStatements({ ttlDays: 0 }), /ttlDays/);
  const single = allStatements({});
  assert.ok(single.every((s) => !s.includes('ON CLUSTER') && !s.includes('Replicated') && !s.includes('Distributed')));
});

test('writer values and the agent row path produce the same columns', () => {
  const rec = makeRecord({ startNs: 1_800_000_000_123_456_789n, durationNs: 42, clientService: 'a "quoted" svc', serverService: 'b', path: '/x/1?q=\u2028' });
  rec.response_message = 'bad\nthing';
  rec.client.process = null;
  const fast = valuesToLine(recordToValues(rec, 'h1')).split('\t');
  const slow = rowToLine(recordToRow(rec, 'h1')).split('\t');
  // An agent's row, checked and turned into values, is the same row again.
  const row = recordToRow(rec, 'h1');
  assert.equal(valuesToLine(rowToValues(row)), rowToLine(row));
  assert.equal(fast.length, 39);
  // Ids are random past the time bits; everything else must agree.
  assert.equal((fast[0] as string).slice(0, 13), (slow[0] as string).slice(0, 13));
  assert.deepEqual(fast.slice(1), slow.slice(1));
  assert.equal(fast[14], '10.0.0.1', 'client service falls back to the ip');
  assert.equal(fast[10], '\\N', 'null pid');
  assert.equal(fast[29], 'bad\\nthing', 'newline escaped');
  assert.equal(fast[14 + 0], '10.0.0.1');
});
