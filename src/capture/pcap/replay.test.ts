import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { replayFiles, CaptureError } from './replay.ts';
import { readCaptureFile } from './reader.ts';
import { Decode, DecodedPacket, decodePacket, PROTO_TCP } from './decode.ts';
import { Counters } from '../../util/counters.ts';
import type { StreamEvent } from '../../streams/events.ts';
import { capinfosCounts, DEMO, DEMO_ANY, ORACLES, Recorder, REPO, requireTools, run, TempDir, tsharkFields } from './test-tools.ts';

interface Expected {
  http: { connections: number; requests: number };
  dns: { udp_queries: number; tcp_queries: number };
  redis: { connections: number };
}
const expected = JSON.parse(readFileSync(join(REPO, 'samples/demo.expected.json'), 'utf8')) as Expected;

/** Payload bytes per transport, as tshark counts them. */
function tsharkPayloadTotals(file: string, extra: string[] = []): { tcp: number; udp: number } {
  let tcp = 0;
  let udp = 0;
  for (const [tcpLen, udpLen] of tsharkFields(file, ['tcp.len', 'udp.length'], extra)) {
    if (tcpLen) tcp += Number(tcpLen);
    if (udpLen) udp += Number(udpLen) - 8;
  }
  return { tcp, udp };
}

function totals(events: StreamEvent[]): { tcp: number; udp: number; tcpConns: number; udpFlows: number; gaps: number } {
  const transport = new Map<number, string>();
  const out = { tcp: 0, udp: 0, tcpConns: 0, udpFlows: 0, gaps: 0 };
  for (const e of events) {
    if (e.kind === 'open') {
      transport.set(e.conn, e.transport);
      if (e.transport === 'tcp') out.tcpConns++;
      else out.udpFlows++;
    } else if (e.kind === 'data') {
      if (transport.get(e.conn) === 'tcp') out.tcp += e.length;
      else out.udp += e.length;
    } else if (e.kind === 'gap') {
      out.gaps++;
    }
  }
  return out;
}

test('demo.pcapng: connections match what the clients reported, payload bytes match tshark', async (t) => {
  if (!requireTools(t, 'tshark')) return;
  const rec = new Recorder();
  const counters = new Counters();
  await replayFiles([DEMO], rec, counters);
  const ours = totals(rec.events);
  const theirs = tsharkPayloadTotals(DEMO);
  assert.equal(ours.tcp, theirs.tcp);
  assert.equal(ours.udp, theirs.udp);
  assert.equal(ours.gaps, 0);
  assert.equal(ours.tcpConns, expected.http.connections + expected.dns.tcp_queries + expected.redis.connections);
  assert.equal(ours.udpFlows, expected.dns.udp_queries, 'dig uses a fresh source port per query');
  const opens = rec.of('open');
  assert.ok(opens.filter((o) => o.transport === 'tcp').every((o) => o.rolesKnown && !o.midStream), 'every handshake was captured');
  assert.equal(opens.filter((o) => o.server.port === 18080).length, expected.http.connections);
  // Every client closed its connection: each TCP connection ends on FINs, UDP flows at the end.
  const reasons = new Map(rec.of('close').map((c) => [c.conn, c.reason]));
  for (const o of opens) assert.equal(reasons.get(o.conn), o.transport === 'tcp' ? 'fin' : 'end', `conn ${o.conn}`);
  assert.equal(counters.get('capture.packets'), capinfosCounts([DEMO]).get(DEMO));
  // The HTTP request with trace headers is in the client stream of its connection, whole.
  const traced = opens.find((o) => o.server.port === 18080 && rec.stream(o.conn, 0).includes('traceparent'));
  assert.ok(traced);
  assert.match(rec.stream(traced.conn, 0), /^GET \/api\/users HTTP\/1\.1\r\n[^]*X-Request-ID: demo-req-0001\r\n[^]*\r\n\r\n$/);
});

test('editcap conversions replay to the same events (times rounded to microseconds in pcap)', async (t) => {
  if (!requireTools(t, 'editcap')) return;
  const original = new Recorder();
  await replayFiles([DEMO], original, new Counters());
  const tmp = new TempDir();
  try {
    for (const format of ['pcap', 'nsecpcap']) {
      const file = tmp.file(`demo.${format}`);
      run('editcap', ['-F', format, DEMO, file]);
      const rec = new Recorder();
      await replayFiles([file], rec, new Counters());
      const round = (e: StreamEvent): StreamEvent => ({ ...e, time: format === 'pcap' ? (e.time / 1000n) * 1000n : e.time });
      assert.deepEqual(rec.events, original.events.map(round), format);
    }
  } finally {
    tmp.remove();
  }
});

test('demo-any.pcapng: Linux cooked v1 and v2 interfaces decode to the payload tshark sees on each', async (t) => {
  if (!requireTools(t, 'tshark')) return;
  const ours = new Map<number, number>();
  const p = new DecodedPacket();
  await readCaptureFile(DEMO_ANY, (r) => {
    if (decodePacket(r.linkType, r.view, r.offset, r.capturedLength, r.originalLength, p) !== Decode.OK) return;
    ours.set(r.interfaceId, (ours.get(r.interfaceId) ?? 0) + p.payloadLength);
  });
  const theirs = new Map<number, number>();
  for (const [iface, tcpLen, udpLen] of tsharkFields(DEMO_ANY, ['frame.interface_id', 'tcp.len', 'udp.length'])) {
    const n = tcpLen ? Number(tcpLen) : udpLen ? Number(udpLen) - 8 : 0;
    theirs.set(Number(iface), (theirs.get(Number(iface)) ?? 0) + n);
  }
  assert.deepEqual(ours, theirs);
  assert.equal(ours.size, 2);
});

test('a truncated capture: events before the cut are delivered and connections closed, then CaptureError', async () => {
  const tmp = new TempDir();
  try {
    const full = readFileSync(DEMO);
    const cut = tmp.file('cut.pcapng', full.subarray(0, full.length - 100));
    const rec = new Recorder();
    const err = await replayFiles([cut], rec, new Counters()).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof CaptureError && err.code === 'truncated' && err.message.includes(cut));
    const opened = rec.of('open').map((o) => o.conn);
    assert.ok(opened.length > 5);
    assert.deepEqual(rec.of('close').map((c) => c.conn).sort((a, b) => a - b), opened.sort((a, b) => a - b), 'every connection closed');
    // A replay that meets the bad file stops there: later files are not read.
    const rec2 = new Recorder();
    await assert.rejects(replayFiles([cut, DEMO], rec2, new Counters()), CaptureError);
    assert.equal(rec2.events.length, rec.events.length);
  } finally {
    tmp.remove();
  }
});

function captureFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) captureFiles(path, out);
    else if (/\.(pcap|pcapng|cap)$/.test(name)) out.push(path);
  }
  return out;
}

test('every oracle capture reads without a stray exception, with tshark\'s packet count', async (t) => {
  if (!requireTools(t, 'capinfos')) return;
  let files: string[];
  try {
    files = captureFiles(ORACLES);
  } catch {
    if (process.env.CI) assert.fail(`oracle captures not found at ${ORACLES} (set FLOWSCOPE_ORACLES)`);
    t.skip(`${ORACLES} is not present on this machine`);
    return;
  }
  assert.ok(files.length > 100);
  const counts = capinfosCounts(files);
  const failures: string[] = [];
  for (const file of files) {
    const counters = new Counters();
    let events = 0;
    try {
      await replayFiles([file], { onEvent: () => { events++; } }, counters);
    } catch (e) {
      if (!(e instanceof CaptureError)) failures.push(`${relative(ORACLES, file)}: ${String(e)}`);
      else if (counts.has(file)) failures.push(`${relative(ORACLES, file)}: tshark reads it, we raised ${e.message}`);
      continue;
    }
    const ours = counters.get('capture.packets') + counters.get('capture.unsupported_link_type');
    const theirs = counts.get(file);
    if (theirs !== undefined && ours !== theirs) failures.push(`${relative(ORACLES, file)}: ${ours} packets, capinfos ${theirs}`);
  }
  assert.deepEqual(failures, []);
});

test('oracle captures of every link type and format: TCP/UDP payload bytes match tshark where the TCP stream is clean', async (t) => {
  if (!requireTools(t, 'tshark', 'capinfos')) return;
  let files: string[];
  try {
    files = captureFiles(ORACLES);
  } catch {
    if (process.env.CI) assert.fail(`oracle captures not found at ${ORACLES} (set FLOWSCOPE_ORACLES)`);
    t.skip(`${ORACLES} is not present on this machine`);
    return;
  }
  // A sample that covers each encapsulation and file format present, two of each.
  const kinds = new Map<string, string[]>();
  const info = run('capinfos', ['-t', '-E', '-M', '-T', '-r', ...files]);
  for (const line of info.split('\n')) {
    const [name, type, encap] = line.split('\t');
    if (!name || !type || !encap) continue;
    const key = `${type}/${encap}`;
    const list = kinds.get(key) ?? [];
    if (list.length < 2) list.push(name);
    kinds.set(key, list);
  }
  const sample = [...kinds.values()].flat();
  assert.ok(kinds.size >= 5, `formats x encapsulations: ${[...kinds.keys()].join(', ')}`);
  let compared = 0;
  for (const file of sample) {
    const rows = tsharkFields(file, ['tcp.len', 'udp.length', 'tcp.analysis.flags', 'ip.flags.mf', 'ip.frag_offset', 'tcp.srcport'], ['-o', 'ip.defragment:FALSE']);
    // Retransmissions, losses, reordering and fragments are where a reassembler and a per-packet sum must differ.
    if (rows.some(([, , flags, mf, off]) => flags || mf === '1' || (off && off !== '0'))) continue;
    const theirs = { tcp: 0, udp: 0 };
    for (const [tcpLen, udpLen] of rows) {
      if (tcpLen) theirs.tcp += Number(tcpLen);
      if (udpLen) theirs.udp += Number(udpLen) - 8;
    }
    const rec = new Recorder();
    await replayFiles([file], rec, new Counters());
    const ours = totals(rec.events);
    assert.deepEqual({ tcp: ours.tcp, udp: ours.udp }, theirs, relative(ORACLES, file));
    compared++;
  }
  assert.ok(compared >= 5, `compared ${compared} files`);
});
