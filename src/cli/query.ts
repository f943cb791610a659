/**
 * @module cli/query
 * `flowscope query services|map|endpoints|requests|request|sql`: asks a running flowscope API
 * and prints a table, or the API's JSON with `--format json`.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_API_PORT } from '../server/api.ts';

interface Common {
  api: string;
  token?: string;
  format: 'table' | 'json';
  from?: string;
  to?: string;
}

async function call(o: Common, path: string, params: Record<string, string | undefined>, body?: unknown): Promise<any> {
  const url = new URL(path, o.api.endsWith('/') ? o.api : o.api + '/');
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  const token = o.token ?? process.env.FLOWSCOPE_TOKEN;
  let res: Response;
  try {
    res = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new Error(`cannot reach the flowscope API at ${o.api} (is \`flowscope server\` or \`flowscope up\` running? --api sets the address): ${(err as Error).message}`);
  }
  const json: any = await res.json().catch(() => ({ error: `HTTP ${res.status} with a body that is not JSON` }));
  if (!res.ok) throw new Error(`API ${res.status}: ${json.error ?? JSON.stringify(json)}`);
  return json;
}

/** Render rows as an aligned text table with the given columns. */
export function formatTable(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.min(80, Math.max(c.length, ...cells.map((row) => row[i]!.length))));
  const line = (values: string[]) => values.map((v, i) => (v.length > widths[i]! ? v.slice(0, widths[i]! - 1) + '…' : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns), ...cells.map(line)].join('\n') + '\n';
}

function print(o: Common, json: unknown, rows: Record<string, unknown>[], columns: string[]): void {
  process.stdout.write(o.format === 'json' ? JSON.stringify(json, null, 2) + '\n' : formatTable(rows, columns));
}

const RED = ['requests', 'rate_per_s', 'error_rate', 'p50_ms', 'p90_ms', 'p99_ms'];

function common(cmd: Command): Command {
  return cmd
    .option('--api <url>', 'flowscope API', `http://127.0.0.1:${DEFAULT_API_PORT}`)
    .option('--token <token>', 'bearer token (default: $FLOWSCOPE_TOKEN)')
    .option('--from <time>', 'start: epoch ms or ISO 8601 (default: 15 minutes before --to)')
    .option('--to <time>', 'end: epoch ms or ISO 8601 (default: now)')
    .addOption(new Option('-f, --format <format>', 'output').choices(['table', 'json']).default('table'));
}

function limit(value: string): string {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000) throw new InvalidArgumentError(`--limit must be 1..1000, got "${value}"`);
  return value;
}

export function registerQuery(program: Command): void {
  const query = program.command('query').description('Ask a running flowscope API (services, map, endpoints, requests, sql)');

  common(query.command('services').description('services with rate, error rate and latency percentiles'))
    .action(async (o: Common) => {
      const r = await call(o, 'api/v1/services', { from: o.from, to: o.to });
      print(o, r, r.services, ['service', ...RED]);
    });

  common(query.command('map').description('the service map: who calls whom, per protocol'))
    .action(async (o: Common) => {
      const r = await call(o, 'api/v1/map', { from: o.from, to: o.to });
      print(o, r, r.edges, ['client', 'server', 'protocol', ...RED]);
    });

  common(query.command('endpoints <service>').description('endpoints of a service with RED and percentiles'))
    .action(async (service: string, o: Common) => {
      const r = await call(o, `api/v1/services/${encodeURIComponent(service)}/endpoints`, { from: o.from, to: o.to });
      print(o, r, r.endpoints, ['protocol', 'endpoint', ...RED]);
    });

  common(query.command('requests').description('search requests, newest first'))
    .option('--service <name>', 'server-side service')
    .option('--client-service <name>', 'calling service')
    .option('--protocol <name>', 'protocol (http1, dns, redis, ...)')
    .option('--endpoint <text>', 'endpoint exactly as listed by `query endpoints`')
    .option('--status <status>', 'ok | client_error | server_error | timeout | unknown, or a response code')
    .option('--min-duration-ms <ms>', 'at least this slow')
    .option('-q, --text <text>', 'text in the resource (case-insensitive)')
    .option('--observation <end>', 'client | server | network: which end saw the call')
    .option('--limit <n>', 'rows per page (1..1000)', limit, '50')
    .option('--cursor <cursor>', 'next_cursor from a previous page')
    .action(async (o: Common & { service?: string; clientService?: string; protocol?: string; endpoint?: string; status?: string; minDurationMs?: string; text?: string; observation?: string; limit: string; cursor?: string }) => {
      const r = await call(o, 'api/v1/requests', {
        from: o.from, to: o.to, service: o.service, client_service: o.clientService, protocol: o.protocol, endpoint: o.endpoint,
        status: o.status, min_duration_ms: o.minDurationMs, q: o.text, observation: o.observation, limit: o.limit, cursor: o.cursor,
      });
      const rows = r.requests.map((x: any) => ({ ...x, client: x.client.service, server: x.server.service, resource: x.request_resource, code: x.response_code }));
      print(o, r, rows, ['start_time_iso', 'client', 'server', 'protocol', 'request_type', 'resource', 'code', 'response_status', 'duration_ms', 'observation', 'request_id']);
      if (o.format === 'table' && r.next_cursor) process.stderr.write(`more: --cursor ${r.next_cursor}\n`);
    });

  common(query.command('request <id>').description('one request in full'))
    .action(async (id: string, o: Common) => {
      const r = await call(o, `api/v1/requests/${encodeURIComponent(id)}`, {});
      process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    });

  common(query.command('sql <sql>').description('read-only SQL (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN)'))
    .action(async (sql: string, o: Common) => {
      const r = await call(o, 'api/v1/sql', {}, { sql });
      const columns = r.rows.length > 0 ? Object.keys(r.rows[0]) : [];
      print(o, r, r.rows, columns);
    });
}
