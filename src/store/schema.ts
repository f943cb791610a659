/**
 * @module store/schema
 * The ClickHouse schema for request records and their rollups, generated as DDL for two layouts:
 * a single node (embedded chdb or one ClickHouse server) and a replicated, sharded cluster
 * (`ON CLUSTER`, Replicated*MergeTree local tables behind Distributed tables). Same table names and
 * columns in both, so every query in the product is the same SQL everywhere.
 *
 * Percentiles: rollups keep `quantilesTDigest` states (a t-digest: a few hundred centroids, a few KB
 * per group at most, mergeable in any order). ClickHouse documents its relative error as about 1%
 * of rank in the middle and better in the tails; our tests hold p50/p90 to within 2% of rank and
 * p99 to within 1% of rank. The exact `quantiles` reservoir keeps up to 8192 samples per state
 * (64 KB per group per second), which per-second rollups cannot afford.
 */

/** Quantile levels kept in every rollup state. Merging must name the same levels. */
export const QUANTILE_LEVELS = [0.5, 0.9, 0.95, 0.99] as const;
export const QUANTILES_SQL = QUANTILE_LEVELS.join(', ');

/** One column of the raw `requests` table, in insert order. */
export interface ColumnSpec {
  name: string;
  type: string;
}

/** Columns of `requests`, in the order rows are serialized (see rows.ts). */
export const REQUEST_COLUMNS: readonly ColumnSpec[] = [
  { name: 'request_id', type: 'UUID' },
  { name: 'start_time', type: 'DateTime64(9)' },
  { name: 'end_time', type: 'DateTime64(9)' },
  { name: 'duration_ns', type: 'UInt64' },
  { name: 'protocol', type: 'LowCardinality(String)' },
  { name: 'transport', type: 'LowCardinality(String)' },
  { name: 'observation', type: 'LowCardinality(String)' },
  { name: 'host', type: 'LowCardinality(String)' },
  { name: 'client_ip', type: 'String' },
  { name: 'client_port', type: 'UInt16' },
  { name: 'client_pid', type: 'Nullable(UInt32)' },
  { name: 'client_command', type: 'LowCardinality(String)' },
  { name: 'client_executable', type: 'LowCardinality(String)' },
  { name: 'client_container_id', type: 'LowCardinality(String)' },
  { name: 'client_service', type: 'LowCardinality(String)' },
  { name: 'server_ip', type: 'String' },
  { name: 'server_port', type: 'UInt16' },
  { name: 'server_pid', type: 'Nullable(UInt32)' },
  { name: 'server_command', type: 'LowCardinality(String)' },
  { name: 'server_executable', type: 'LowCardinality(String)' },
  { name: 'server_container_id', type: 'LowCardinality(String)' },
  { name: 'server_service', type: 'LowCardinality(String)' },
  { name: 'endpoint', type: 'String' },
  { name: 'request_type', type: 'LowCardinality(String)' },
  { name: 'request_domain', type: 'String' },
  { name: 'request_resource', type: 'String' },
  { name: 'protocol_version', type: 'LowCardinality(String)' },
  { name: 'response_code', type: 'Nullable(Int32)' },
  { name: 'response_status', type: 'LowCardinality(String)' },
  { name: 'response_message', type: 'String' },
  { name: 'response_summary', type: 'String' },
  { name: 'request_bytes', type: 'UInt64' },
  { name: 'response_bytes', type: 'UInt64' },
  { name: 'req_tcp_seq', type: 'Nullable(UInt32)' },
  { name: 'resp_tcp_seq', type: 'Nullable(UInt32)' },
  { name: 'trace_id', type: 'String' },
  { name: 'span_id', type: 'String' },
  { name: 'parent_span_id', type: 'String' },
  { name: 'x_request_id', type: 'String' },
];

export const REQUEST_COLUMN_NAMES: readonly string[] = REQUEST_COLUMNS.map((c) => c.name);

/** Statuses counted as errors in RED metrics. Client errors (4xx) are counted apart. */
export const ERROR_STATUSES = ['server_error', 'timeout'] as const;

export interface SchemaOptions {
  /** Days raw requests and per-second rollups are kept. Default 3. */
  ttlDays?: number;
  /** Days per-minute rollups are kept. Default 30. */
  rollupTtlDays?: number;
  /**
   * Generate the replicated + distributed layout on this cluster (ClickHouse server only).
   * Local tables are named `<table>_local`; the unsuffixed names are Distributed tables.
   */
  cluster?: string;
  /** Database the tables live in (cluster layout needs it for Distributed). Default 'default'. */
  database?: string;
}

export interface ResolvedSchemaOptions {
  ttlDays: number;
  rollupTtlDays: number;
  cluster: string | null;
  database: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Validate and fill defaults. Names end up in DDL, so they must be plain identifiers. */
export function resolveSchemaOptions(options: SchemaOptions = {}): ResolvedSchemaOptions {
  const ttlDays = options.ttlDays ?? 3;
  const rollupTtlDays = options.rollupTtlDays ?? 30;
  for (const [name, v] of [['ttlDays', ttlDays], ['rollupTtlDays', rollupTtlDays]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 36500) throw new Error(`schema: ${name} must be a whole number of days from 1 to 36500, got ${v}`);
  }
  const cluster = options.cluster ?? null;
  if (cluster !== null && !IDENTIFIER.test(cluster)) throw new Error(`schema: cluster name ${JSON.stringify(cluster)} is not a plain identifier`);
  const database = options.database ?? 'default';
  if (!IDENTIFIER.test(database)) throw new Error(`schema: database name ${JSON.stringify(database)} is not a plain identifier`);
  return { ttlDays, rollupTtlDays, cluster, database };
}

/** The rollup tables: name, bucket function and TTL source. */
export const ROLLUPS = [
  { table: 'requests_1s', bucket: 'toStartOfSecond', seconds: 1 },
  { table: 'requests_1m', bucket: 'toStartOfMinute', seconds: 60 },
] as const;

export type RollupTable = (typeof ROLLUPS)[number]['table'];

function onCluster(o: ResolvedSchemaOptions): string {
  return o.cluster ? ` ON CLUSTER ${o.cluster}` : '';
}

function engine(o: ResolvedSchemaOptions, kind: 'MergeTree' | 'AggregatingMergeTree', table: string): string {
  if (!o.cluster) return `${kind}`;
  return `Replicated${kind}('/clickhouse/tables/{shard}/${o.database}/${table}', '{replica}')`;
}

/** Name of the table rows are physically stored in (the local table in a cluster). */
function storage(o: ResolvedSchemaOptions, table: string): string {
  return o.cluster ? `${table}_local` : table;
}

function distributed(o: ResolvedSchemaOptions, table: string, shardingKey: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table}${onCluster(o)} AS ${storage(o, table)}\n` +
    `ENGINE = Distributed(${o.cluster}, ${o.database}, ${storage(o, table)}, ${shardingKey})`;
}

export function requestsTableDdl(o: ResolvedSchemaOptions): string[] {
  const table = storage(o, 'requests');
  const cols = REQUEST_COLUMNS.map((c) => `  ${c.name} ${c.type}`).join(',\n');
  const out = [
    `CREATE TABLE IF NOT EXISTS ${table}${onCluster(o)} (\n${cols},\n` +
      `  INDEX idx_request_id request_id TYPE bloom_filter(0.01) GRANULARITY 4,\n` +
      `  INDEX idx_trace_id trace_id TYPE bloom_filter(0.01) GRANULARITY 4\n)\n` +
      `ENGINE = ${engine(o, 'MergeTree', 'requests')}\n` +
      `PARTITION BY toDate(start_time)\n` +
      `ORDER BY (server_service, toStartOfMinute(start_time), protocol, start_time)\n` +
      `TTL toDateTime(start_time) + INTERVAL ${o.ttlDays} DAY\n` +
      `SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
  ];
  if (o.cluster) out.push(distributed(o, 'requests', 'rand()'));
  return out;
}

/**
 * Rollup columns: group keys, then mergeable aggregates. Tables are created as migration 2 made
 * them (without `observation`); migration 3 adds `observation` (see `rollupObservationDdl`).
 */
function rollupTableDdl(o: ResolvedSchemaOptions, table: string, ttlDays: number): string[] {
  const local = storage(o, table);
  const out = [
    `CREATE TABLE IF NOT EXISTS ${local}${onCluster(o)} (\n` +
      `  t DateTime,\n` +
      `  client_service LowCardinality(String),\n` +
      `  server_service LowCardinality(String),\n` +
      `  protocol LowCardinality(String),\n` +
      `  endpoint String,\n` +
      `  requests SimpleAggregateFunction(sum, UInt64),\n` +
      `  errors SimpleAggregateFunction(sum, UInt64),\n` +
      `  client_errors SimpleAggregateFunction(sum, UInt64),\n` +
      `  duration_sum SimpleAggregateFunction(sum, UInt64),\n` +
      `  duration_max SimpleAggregateFunction(max, UInt64),\n` +
      `  request_bytes SimpleAggregateFunction(sum, UInt64),\n` +
      `  response_bytes SimpleAggregateFunction(sum, UInt64),\n` +
      `  duration_digest AggregateFunction(quantilesTDigest(${QUANTILES_SQL}), UInt64)\n)\n` +
      `ENGINE = ${engine(o, 'AggregatingMergeTree', table)}\n` +
      `PARTITION BY toDate(t)\n` +
      `ORDER BY (server_service, t, client_service, protocol, endpoint)\n` +
      `TTL t + INTERVAL ${ttlDays} DAY\n` +
      `SETTINGS ttl_only_drop_parts = 1`,
  ];
  if (o.cluster) out.push(distributed(o, table, 'cityHash64(server_service)'));
  return out;
}

/** The aggregate expressions a rollup row is made of, from raw `requests` columns. */
export const ROLLUP_STATE_SELECT =
  `count() AS requests,\n` +
  `  countIf(response_status IN ('server_error', 'timeout')) AS errors,\n` +
  `  countIf(response_status = 'client_error') AS client_errors,\n` +
  `  sum(duration_ns) AS duration_sum,\n` +
  `  max(duration_ns) AS duration_max,\n` +
  `  sum(request_bytes) AS request_bytes,\n` +
  `  sum(response_bytes) AS response_bytes,\n` +
  `  quantilesTDigestState(${QUANTILES_SQL})(duration_ns) AS duration_digest`;

/**
 * The keys rollups are kept by since migration 3. `observation` says which end saw the calls
 * (client, server, network): one call seen at both ends is two records, and queries keep one
 * observation per series (queries.ts) so that it is counted once.
 */
export const ROLLUP_KEYS = ['client_service', 'server_service', 'protocol', 'endpoint', 'observation'] as const;

function rollupViewDdl(o: ResolvedSchemaOptions, table: string, bucket: string, keys: readonly string[]): string {
  // The view reads inserts into the physical table, so in a cluster every shard rolls up its own rows.
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${storage(o, table)}_mv${onCluster(o)} TO ${storage(o, table)} AS\n` +
    `SELECT toDateTime(${bucket}(start_time)) AS t, ${keys.join(', ')},\n  ${ROLLUP_STATE_SELECT}\n` +
    `FROM ${storage(o, 'requests')}\nGROUP BY t, ${keys.join(', ')}`;
}

/** Migration 2: the rollup tables and their views, keyed without `observation`. */
export function rollupDdl(o: ResolvedSchemaOptions): string[] {
  const out: string[] = [];
  for (const r of ROLLUPS) {
    out.push(...rollupTableDdl(o, r.table, r.seconds === 1 ? o.ttlDays : o.rollupTtlDays));
    out.push(rollupViewDdl(o, r.table, r.bucket, ROLLUP_KEYS.filter((k) => k !== 'observation')));
  }
  return out;
}

/**
 * Migration 3: `observation` joins the rollup keys (last in the sorting key, so rows of different
 * observations never merge), and the views are recreated to fill it. Rows rolled up before have
 * observation '' (queries rank it after 'network'). Re-running is harmless: the column is added
 * only if missing, the sorting key is then unchanged, and the views are dropped and recreated.
 */
export function rollupObservationDdl(o: ResolvedSchemaOptions): string[] {
  const out: string[] = [];
  for (const r of ROLLUPS) {
    const local = storage(o, r.table);
    out.push(`ALTER TABLE ${local}${onCluster(o)} ADD COLUMN IF NOT EXISTS observation LowCardinality(String) AFTER endpoint, ` +
      `MODIFY ORDER BY (server_service, t, client_service, protocol, endpoint, observation)`);
    if (o.cluster) out.push(`ALTER TABLE ${r.table}${onCluster(o)} ADD COLUMN IF NOT EXISTS observation LowCardinality(String) AFTER endpoint`);
    out.push(`DROP VIEW IF EXISTS ${local}_mv${onCluster(o)}${o.cluster ? ' SYNC' : ''}`);
    out.push(rollupViewDdl(o, r.table, r.bucket, ROLLUP_KEYS));
  }
  return out;
}

/** The TTL clause each table should have; used to re-apply a changed `--ttl-days` at start. */
export function ttlTargets(o: ResolvedSchemaOptions): { table: string; ttl: string; days: number }[] {
  return [
    { table: storage(o, 'requests'), ttl: `toDateTime(start_time) + INTERVAL ${o.ttlDays} DAY`, days: o.ttlDays },
    { table: storage(o, 'requests_1s'), ttl: `t + INTERVAL ${o.ttlDays} DAY`, days: o.ttlDays },
    { table: storage(o, 'requests_1m'), ttl: `t + INTERVAL ${o.rollupTtlDays} DAY`, days: o.rollupTtlDays },
  ];
}

export function onClusterClause(o: ResolvedSchemaOptions): string {
  return onCluster(o);
}
