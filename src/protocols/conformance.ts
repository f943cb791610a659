/**
 * @module protocols/conformance
 * One conformance suite every protocol parser passes, run through the real stream machinery
 * (connection table, direction streams, stitcher): whole messages, every message split at every
 * byte offset, a garbage prefix then resync, pipelined messages, truncated payloads, and a stream
 * joined in the middle.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProtocolFields, ProtocolSpec } from './protocol.ts';
import type { RequestRecord } from '../records/record.ts';
import type { StreamEvent } from '../streams/events.ts';
import { CLIENT_TO_SERVER, SERVER_TO_CLIENT } from '../streams/events.ts';
import { ConnectionTable } from '../streams/connection-table.ts';
import { concatBytes } from '../util/bytes.ts';

export interface ConformanceExchange {
  request: Uint8Array;
  /** null: the request gets no answer (a timeout record is expected). */
  response: Uint8Array | null;
  expect: Partial<ProtocolFields>;
}

export interface ConformanceOptions {
  transport: 'tcp' | 'udp';
  serverPort: number;
  exchanges: ConformanceExchange[];
}

const CLIENT = { ip: '10.0.0.1', port: 40000 };
const MS = 1_000_000n;

/** A scripted connection: events with increasing times and TCP sequence numbers. */
class Script {
  readonly events: StreamEvent[] = [];
  private t = 1_700_000_000_000_000_000n;
  private seq: [number, number] = [1000, 5000];

  constructor(private readonly options: ConformanceOptions, midStream = false) {
    this.events.push({
      kind: 'open', conn: 1, time: this.t, transport: options.transport,
      client: CLIENT, server: { ip: '10.0.0.2', port: options.serverPort },
      rolesKnown: true, midStream, observation: 'network',
    });
  }

  send(dir: 0 | 1, bytes: Uint8Array, length = bytes.length): this {
    this.t += MS;
    this.events.push({ kind: 'data', conn: 1, dir, time: this.t, seq: this.seq[dir], bytes, length });
    this.seq[dir] = (this.seq[dir] + length) >>> 0;
    return this;
  }

  close(): this {
    this.t += MS;
    this.events.push({ kind: 'close', conn: 1, time: this.t, reason: 'fin' });
    return this;
  }
}

function run(spec: ProtocolSpec<any, any>, events: StreamEvent[]): RequestRecord[] {
  const records: RequestRecord[] = [];
  const table = new ConnectionTable((r) => records.push(r), { protocols: [spec] });
  for (const e of events) table.onEvent(e);
  table.flush();
  return records;
}

function check(record: RequestRecord | undefined, ex: ConformanceExchange, what: string): void {
  assert.ok(record, `${what}: no record`);
  for (const [key, value] of Object.entries(ex.expect)) {
    assert.deepEqual(record[key as keyof RequestRecord], value, `${what}: field ${key}`);
  }
  if (ex.response === null) assert.equal(record.response_status, 'timeout', `${what}: unanswered request`);
}


/** Bytes no protocol parser should take for a frame start of its own. */
const GARBAGE = new Uint8Array([0x00, 0xff, 0x13, 0x37, 0x80, 0x01, 0xfe, 0x7f, 0x00, 0x00, 0x9c, 0x42]);

/** Registers the suite for one protocol as node:test tests. */
export function describeConformance(spec: ProtocolSpec<any, any>, options: ConformanceOptions): void {
  const { exchanges } = options;
  const answered = exchanges.filter((e) => e.response !== null);
  const tcp = options.transport === 'tcp';

  describe(`${spec.name} conformance (${options.transport})`, () => {
    it('records every exchange sent whole, in order', () => {
      const s = new Script(options);
      for (const ex of exchanges) {
        s.send(CLIENT_TO_SERVER, ex.request);
        if (ex.response) s.send(SERVER_TO_CLIENT, ex.response);
      }
      const records = run(spec, s.close().events);
      assert.equal(records.length, exchanges.length);
      exchanges.forEach((ex, i) => check(records[i], ex, `exchange ${i}`));
      records.forEach((r) => {
        assert.equal(r.client.port, CLIENT.port);
        assert.equal(r.server.port, options.serverPort);
        assert.ok(r.end_time >= r.start_time);
      });
    });

    if (tcp) {
      it('records each exchange split at every byte offset of request and response', () => {
        exchanges.forEach((ex, i) => {
          for (const [dir, msg] of [[CLIENT_TO_SERVER, ex.request], [SERVER_TO_CLIENT, ex.response]] as const) {
            if (!msg) continue;
            for (let cut = 1; cut < msg.length; cut++) {
              const s = new Script(options);
              if (dir === CLIENT_TO_SERVER) {
                s.send(CLIENT_TO_SERVER, msg.subarray(0, cut)).send(CLIENT_TO_SERVER, msg.subarray(cut));
                if (ex.response) s.send(SERVER_TO_CLIENT, ex.response);
              } else {
                s.send(CLIENT_TO_SERVER, ex.request);
                s.send(SERVER_TO_CLIENT, msg.subarray(0, cut)).send(SERVER_TO_CLIENT, msg.subarray(cut));
              }
              const records = run(spec, s.close().events);
              assert.equal(records.length, 1, `exchange ${i} split at ${cut} (dir ${dir})`);
              check(records[0], ex, `exchange ${i} split at ${cut} (dir ${dir})`);
            }
          }
        });
      });

      it('records pipelined requests sent together and answered together', () => {
        const s = new Script(options);
        s.send(CLIENT_TO_SERVER, concatBytes(...answered.map((e) => e.request)));
        s.send(SERVER_TO_CLIENT, concatBytes(...answered.map((e) => e.response!)));
        const records = run(spec, s.close().events);
        assert.equal(records.length, answered.length);
        answered.forEach((ex, i) => check(records[i], ex, `pipelined ${i}`));
      });

      it('resynchronises after a garbage prefix in a stream joined mid-way', () => {
        const s = new Script(options, true);
        s.send(CLIENT_TO_SERVER, concatBytes(GARBAGE, answered[0]!.request));
        s.send(SERVER_TO_CLIENT, concatBytes(GARBAGE, answered[0]!.response!));
        for (const ex of answered.slice(1)) s.send(CLIENT_TO_SERVER, ex.request).send(SERVER_TO_CLIENT, ex.response!);
        const records = run(spec, s.close().events);
        // The first exchange may or may not be recovered; every later one must be.
        const tail = answered.slice(1);
        assert.ok(records.length >= tail.length, `got ${records.length} records, want >= ${tail.length}`);
        tail.forEach((ex, i) => check(records[records.length - tail.length + i], ex, `after resync ${i}`));
      });

      it('recovers when the stream is joined in the middle of a message', () => {
        const first = answered[0]!;
        const s = new Script(options, true);
        s.send(CLIENT_TO_SERVER, first.request.subarray(Math.ceil(first.request.length / 2)));
        s.send(SERVER_TO_CLIENT, first.response!.subarray(Math.ceil(first.response!.length / 2)));
        for (const ex of answered.slice(1)) s.send(CLIENT_TO_SERVER, ex.request).send(SERVER_TO_CLIENT, ex.response!);
        const records = run(spec, s.close().events);
        const tail = answered.slice(1);
        const matching = records.filter((r) => r.request_type !== null && r.response_status !== 'timeout');
        assert.ok(matching.length >= tail.length, `got ${matching.length} complete records, want ${tail.length}`);
        tail.forEach((ex, i) => check(matching[matching.length - tail.length + i], ex, `after mid-stream join ${i}`));
      });
    }

    it('survives truncated payloads and records what follows', () => {
      for (const keep of [1, 2, 5, 12, 40]) {
        const s = new Script(options);
        const first = answered[0]!;
        s.send(CLIENT_TO_SERVER, first.request).send(SERVER_TO_CLIENT, first.response!);
        for (const ex of answered) {
          // The capture kept only `keep` bytes of each message but reports the real length.
          s.send(CLIENT_TO_SERVER, ex.request.subarray(0, keep), ex.request.length);
          s.send(SERVER_TO_CLIENT, ex.response!.subarray(0, keep), ex.response!.length);
        }
        const last = answered[answered.length - 1]!;
        s.send(CLIENT_TO_SERVER, last.request).send(SERVER_TO_CLIENT, last.response!);
        const records = run(spec, s.close().events);
        assert.ok(records.length >= 2, `truncated to ${keep}: the whole exchanges must be recorded`);
        check(records[0], first, `whole exchange before truncation to ${keep}`);
        const lastRecord = records.filter((r) => r.response_status !== 'timeout').pop();
        check(lastRecord, last, `whole exchange after truncation to ${keep}`);
      }
    });

    it('never throws on any prefix, suffix or byte flip of its messages', () => {
      for (const ex of exchanges) {
        for (const msg of [ex.request, ex.response]) {
          if (!msg) continue;
          for (let i = 0; i < msg.length; i++) {
            const flipped = msg.slice();
            flipped[i] = flipped[i]! ^ 0xff;
            for (const bytes of [msg.subarray(0, i), msg.subarray(i), flipped]) {
              for (const dir of [CLIENT_TO_SERVER, SERVER_TO_CLIENT] as const) {
                spec.parse(bytes, dir, spec.createState());
                spec.detect(bytes, { transport: options.transport, dir, srcPort: 1, dstPort: options.serverPort });
                spec.findFrameBoundary(bytes, dir, 0, spec.createState());
              }
            }
          }
        }
      }
    });
  });
}
