/**
 * @module test/oracles/report
 * Writes docs/conformance.md from the same evaluation the oracle tests assert, so the document
 * cannot drift from the code: `node --import tsx test/oracles/report.ts > docs/conformance.md`.
 */
import type { ProtocolName } from '../../src/records/record.ts';
import { evaluateProtocol } from './evaluate.ts';
import type { FileResult } from './evaluate.ts';
import { formatValue } from './facts.ts';
import { oraclesDir, oraclesMissing } from './paths.ts';

const PROTOCOLS: [ProtocolName, string][] = [['http1', 'HTTP/1.x'], ['dns', 'DNS'], ['redis', 'Redis']];

const STATUS_TEXT: Record<FileResult['status'], string> = {
  pass: 'pass',
  difference: 'pass with a documented difference',
  bug: '**fail: open bug**',
  failing: '**fail: unexplained** (the test fails)',
};

const RULES = `## How captures are compared

Every capture listed under HTTP/1.x, DNS and Redis in the oracles' \`INDEX.md\` is replayed in
process through the real pipeline (pcap reader, connection table, protocol parser, stitcher) and
its records are compared with facts read from the other tool's expected output. A record is one
call: it has a request when \`request_bytes > 0\` and a response when \`response_bytes > 0\`.
Lists are compared as multisets (order-free) unless marked "in order"; "(set)" means distinct values.

Normalisation shared by all sources: HTTP methods and Redis commands upper-case; DNS names
lower-case without the trailing dot; DNS types as IANA mnemonics (\`TYPE<n>\` where none exists,
so Zeek's \`query-65534\` is \`TYPE65534\`); DNS rcodes by name (\`NXDOMAIN\`).

- **DeepFlow** \`.result\`: one line per parsed message; lines flagged \`is_<proto>: false\` carry
  no message and are skipped. Requests and responses are counted separately (a response counts
  even when its request was not captured). HTTP: \`method host path\` per request (path with query
  = our \`request_resource\`, host = our \`request_domain\`), status per response. DNS: \`qtype name\`
  per request, \`qtype name rcode\` per response. Redis: the command line per request (command
  upper-cased + our \`request_resource\`), and the text of error replies without the leading \`-\`.
- **Zeek** logs: one row per transaction. http.log: \`method host uri status\` per row, where
  \`uri\` is the request target as sent (our \`request_resource\`) and \`status\` the final status
  (interim 1xx are in Zeek's \`info_code\`, and ours skips them); requests = rows with a method,
  responses = rows with a status. dns.log: \`name qtype rcode\` per row; Zeek fills the qtype only
  from a query it saw and the rcode only from a response, so ours prints \`-\` likewise. redis.log:
  \`command success\` per row (\`-\` = no reply), and \`command key\` for the commands Zeek extracts a
  key for (our first argument). Script outputs are used where they state per-request facts: AUTH
  outcomes in order (redis.auth), \`SET key value\` lines (redis.bulk, redis.set), "Found N SET
  commands" (redis.django-cloud), and header blocks (http.all-headers-event: a block with HOST
  is a request). Other outputs (ECS options, SVCB parameters, notices, connection hooks) say
  nothing per request and are listed as not compared.
- **Arkime** \`.test\`: one document per session. HTTP values are distinct per session, so paths,
  \`host+uri\` and status codes compare as sets (Arkime's status set includes interim 1xx codes),
  methods as counts (\`method-GET: 2\`). DNS: \`name qtype status\` per query entry (\`-\` without
  a response); Arkime shows IDNA names in Unicode, so ours are decoded before comparing.
- **Suricata** \`test.yaml\`: each \`filter\` is a fact "exactly \`count\` eve events match". HTTP
  events are transactions (our records); DNS events are per message (eve v3): \`dns.type:
  request\` is a record's request, \`response\` its response, with src/dest swapped accordingly.
  Fields that only identify an event (\`tx_id\`, \`dns.id\`, \`pcap_cnt\`, flags) are ignored; fields
  our record does not keep (answers, headers) are dropped from the filter and listed. Checks on
  \`alert\`, \`flow\`, \`anomaly\` and \`fileinfo\` events test Suricata itself and are not compared,
  except three alert checks whose rule pins a traffic fact (listed in \`rules.ts\`).
- **nDPI** \`.out\`: detection per flow: each flow nDPI labels HTTP (or DNS) must carry only
  \`http1\` (or \`dns\`) records of ours. The tshark request/response counts are checked as well.
- **tshark** counts (\`tshark-counts.json\`) are a weak oracle, used only where the tool's own
  output pins nothing per request, and for nDPI captures.

A capture that differs is either fixed or listed in \`test/oracles/expectations.ts\` with our value
pinned and the reason: *documented difference* (the tools mean different things) or *open bug*
(ours is wrong). The tests fail when ours changes from the pinned value, including when it starts
to match the oracle.
`;

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function whyNot(r: FileResult): string {
  const reasons = new Set<string>();
  if (r.replayError) reasons.add(r.replayErrorExpectation ? `${r.replayErrorExpectation.kind}: ${r.replayErrorExpectation.reason}` : `replay error: ${r.replayError}`);
  for (const f of r.facts) {
    if (f.expectation) reasons.add(`${f.expectation.kind === 'bug' ? 'open bug' : 'difference'}: ${f.expectation.reason}`);
    else if (!f.ok) reasons.add(f.problem!);
  }
  return [...reasons].join('<br>');
}

async function main(): Promise<void> {
  const missing = oraclesMissing();
  if (missing) {
    process.stderr.write(`report: ${missing}\n`);
    process.exitCode = 1;
    return;
  }
  const dir = oraclesDir();
  const all: [string, FileResult[]][] = [];
  for (const [p, title] of PROTOCOLS) all.push([title, await evaluateProtocol(p, dir)]);

  const out: string[] = [];
  out.push('# Conformance against other tools: HTTP/1.x, DNS, Redis', '');
  out.push('Generated by `node --import tsx test/oracles/report.ts > docs/conformance.md` from the same');
  out.push('evaluation that `test/oracles/*.test.ts` asserts. Do not edit by hand.', '');
  out.push('## Summary', '');
  out.push('| protocol | captures | pass | pass with a documented difference | open bug | unexplained |');
  out.push('|---|---|---|---|---|---|');
  for (const [title, results] of all) {
    const n = (s: FileResult['status']) => results.filter((r) => r.status === s).length;
    out.push(`| ${title} | ${results.length} | ${n('pass')} | ${n('difference')} | ${n('bug')} | ${n('failing')} |`);
  }
  out.push('', RULES);

  for (const [title, results] of all) {
    out.push(`## ${title} captures`, '');
    out.push('| capture | source | compared | records | result | why not a plain pass |');
    out.push('|---|---|---|---|---|---|');
    for (const r of results) {
      const compared = r.facts.map((f) => f.fact.name).join('; ') || '(nothing)';
      out.push(`| \`${r.entry.file}\` | ${r.entry.source} | ${cell(compared)} | ${r.recordCount} | ${STATUS_TEXT[r.status]} | ${cell(whyNot(r))} |`);
    }
    out.push('');
  }

  out.push('## Differences in detail', '');
  for (const [, results] of all) {
    for (const r of results) {
      const differing = r.facts.filter((f) => !f.matchesOracle);
      if (differing.length === 0 && !r.replayError) continue;
      out.push(`### \`${r.entry.file}\``, '');
      if (r.replayError) out.push(`- replay error: \`${r.replayError}\``);
      for (const f of differing) {
        const kind = f.expectation ? (f.expectation.kind === 'bug' ? 'open bug' : 'documented difference') : 'UNEXPLAINED';
        out.push(`- **${f.fact.name}** (${kind}), from ${f.fact.from}`);
        out.push(`  - oracle: ${formatValue(f.fact.expected, 8)}`);
        out.push(`  - ours: ${formatValue(f.actual, 8)}`);
        if (f.expectation) out.push(`  - why: ${f.expectation.reason}`);
      }
      out.push('');
    }
  }

  out.push('## Not compared, per capture', '');
  for (const [, results] of all) {
    for (const r of results) {
      if (r.notes.length === 0) continue;
      out.push(`- \`${r.entry.file}\`: ${r.notes.join('; ')}`);
    }
  }
  out.push('');
  process.stdout.write(out.join('\n'));
}

await main();
