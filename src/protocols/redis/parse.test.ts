import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redis } from './spec.ts';
import { MAX_DEPTH } from './parse.ts';
import type { RedisFrame } from './types.ts';
import type { ParseResult } from '../protocol.ts';
import { REDIS_CAPTURES, connection, latin1 } from './fixtures.ts';
import { parseAll, replay } from './testing.ts';

function ok(result: ParseResult<RedisFrame> | undefined): { frame: RedisFrame; consumed: number } {
  assert.ok(result);
  assert.equal(result.state, 'ok', result.state === 'invalid' ? result.reason : result.state);
  return result as { state: 'ok'; frame: RedisFrame; consumed: number };
}

function segment(name: string, dir: 0 | 1, index = 0): Uint8Array {
  return latin1(connection(name).segments.filter((s) => s.dir === dir)[index]!.bytes);
}

describe('redis parse: captured traffic', () => {
  it('parses every whole captured segment into frames that span it exactly', () => {
    for (const c of REDIS_CAPTURES) {
      const state = redis.createState();
      for (const s of c.segments) {
        if (s.bytes.length !== s.length) continue; // prefix-cut segments are tested below
        const results = parseAll(latin1(s.bytes), s.dir, state);
        const consumed = results.reduce((n, r) => n + (r.state === 'ok' ? r.consumed : NaN), 0);
        assert.equal(consumed, s.length, `${c.name}: dir ${s.dir} segment of ${s.length} bytes`);
      }
    }
  });

  it('splits redis-benchmark -P 4 pipelines into four commands and four replies', () => {
    const sets = parseAll(segment('redis-benchmark SET -P 4', 0), 0);
    assert.equal(sets.length, 4);
    for (const r of sets) {
      assert.equal(ok(r).frame.command, 'SET');
      assert.equal(ok(r).frame.args, 'key:__rand_int__ VXK');
      assert.equal(ok(r).consumed, 180 / 4); // tshark tcp.len 180 for four equal commands
    }
    const replies = parseAll(segment('redis-benchmark SET -P 4', 1), 1);
    assert.deepEqual(replies.map((r) => ok(r).frame.summary), ['OK', 'OK', 'OK', 'OK']);
  });

  it('reads inline commands and their replies', () => {
    const commands = parseAll(segment('inline commands then a 100000-byte value', 0), 0).map((r) => ok(r).frame);
    assert.deepEqual(commands.map((f) => [f.command, f.args]), [['PING', null], ['SET', 'inline:k v'], ['GET', 'inline:k']]);
    const replies = parseAll(segment('inline commands then a 100000-byte value', 1), 1).map((r) => ok(r).frame);
    assert.deepEqual(replies.map((f) => f.summary), ['PONG', 'OK', '(bulk 1 bytes)']);
  });

  it('names container commands with their subcommand', () => {
    const frames = parseAll(segment('redis-benchmark CONFIG GET pipelined', 0), 0).map((r) => ok(r).frame);
    assert.deepEqual(frames.map((f) => [f.command, f.args]), [['CONFIG GET', 'save'], ['CONFIG GET', 'appendonly']]);
    assert.equal(ok(redis.parse(segment('DEBUG PROTOCOL map', 0, 1), 0, redis.createState())).frame.command, 'DEBUG PROTOCOL');
  });

  it('takes error replies as errors, with the text redis-cli printed', () => {
    const wrongType = ok(redis.parse(segment('WRONGTYPE error', 1), 1, redis.createState())).frame;
    assert.equal(wrongType.error, 'WRONGTYPE Operation against a key holding the wrong kind of value');
    const unknown = ok(redis.parse(segment('unknown command', 1), 1, redis.createState())).frame;
    assert.equal(unknown.error, "ERR unknown command 'FOO', with args beginning with: 'bar' ");
  });
});

describe('redis parse: RESP3', () => {
  it('reads the HELLO 3 map as one reply', () => {
    const reply = segment('RESP3 HGETALL after HELLO 3', 1);
    const r = ok(redis.parse(reply, 1, redis.createState()));
    assert.equal(r.consumed, 146); // tshark tcp.len
    assert.equal(r.frame.summary, '(map 7)');
  });

  it('keeps an attribute with the reply that follows it (DEBUG PROTOCOL attrib)', () => {
    const r = ok(redis.parse(segment('DEBUG PROTOCOL attrib', 1, 1), 1, redis.createState()));
    assert.equal(r.consumed, 93); // the whole segment: attribute and the real reply
    assert.equal(r.frame.kind, 'response');
    assert.equal(r.frame.type, 0x24); // "$39 Some real reply following the attribute"
  });

  it('takes a push as an out-of-band message, then the real reply (DEBUG PROTOCOL push)', () => {
    const [push, real] = parseAll(segment('DEBUG PROTOCOL push', 1, 1), 1);
    assert.equal(ok(push).frame.kind, 'message');
    assert.equal(ok(push).consumed, 32); // >2 $16 server-cpu-usage :42
    assert.equal(ok(real).frame.kind, 'response');
    assert.equal(ok(real).frame.summary, '(bulk 40 bytes)');
  });

  it('reads every RESP3 type DEBUG PROTOCOL sends', () => {
    const expected: Record<string, string> = {
      'DEBUG PROTOCOL set': '(set 3)',
      'DEBUG PROTOCOL verbatim': '(verbatim 29 bytes)',
      'DEBUG PROTOCOL double': '(double) 3.141',
      'DEBUG PROTOCOL true': '(true)',
      'DEBUG PROTOCOL false': '(false)',
      'DEBUG PROTOCOL null': '(nil)',
    };
    for (const [name, summary] of Object.entries(expected)) {
      assert.equal(ok(redis.parse(segment(name, 1, 1), 1, redis.createState())).frame.summary, summary, name);
    }
    const big = ok(redis.parse(segment('DEBUG PROTOCOL bignum', 1, 1), 1, redis.createState())).frame;
    assert.match(big.summary!, /^\(big number\) 1234567999/);
  });

  it('reads a bulk error as an error (RESP3 spec example "!21\\r\\nSYNTAX invalid syntax")', () => {
    const r = ok(redis.parse(latin1('!21\r\nSYNTAX invalid syntax\r\n'), 1, redis.createState()));
    assert.equal(r.frame.error, 'SYNTAX invalid syntax');
  });

  it('walks nested arrays as one reply, and an error inside does not make it an error', () => {
    // The RESP spec's nested array example.
    const bytes = latin1('*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Hello\r\n-World\r\n');
    const r = ok(redis.parse(bytes, 1, redis.createState()));
    assert.equal(r.consumed, bytes.length);
    assert.equal(r.frame.error, null);
  });
});

describe('redis parse: bounds, garbage and huge values', () => {
  it(`accepts ${MAX_DEPTH} nested arrays and rejects one more`, () => {
    const nested = (depth: number) => latin1('*1\r\n'.repeat(depth) + ':1\r\n');
    assert.equal(redis.parse(nested(MAX_DEPTH), 1, redis.createState()).state, 'ok');
    const deeper = redis.parse(nested(MAX_DEPTH + 1), 1, redis.createState());
    assert.equal(deeper.state, 'invalid');
    assert.match((deeper as { reason: string }).reason, /deeper/);
  });

  it('rejects an aggregate of more than a million elements without waiting for it', () => {
    assert.equal(redis.parse(latin1('*1000001\r\n'), 1, redis.createState()).state, 'invalid');
    assert.equal(redis.parse(latin1('*1000001\r\n'), 0, redis.createState()).state, 'invalid');
  });

  it('says garbage is not Redis, in either direction', () => {
    const garbage = Uint8Array.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a]);
    const fromClient = redis.parse(garbage, 0, redis.createState());
    assert.equal(fromClient.state, 'invalid');
    assert.match((fromClient as { reason: string }).reason, /misclassified/);
    const fromServer = redis.parse(latin1('@garbage\r\n'), 1, redis.createState());
    assert.equal(fromServer.state, 'invalid');
    assert.match((fromServer as { reason: string }).reason, /0x40 is not RESP/);
    assert.equal(redis.parse(latin1('*2\r\n:1\r\n'), 0, redis.createState()).state, 'invalid');
  });

  it('skips a 100000-byte value from its first bytes (SET big, GET big)', () => {
    // The captured first segments; the sizes are the TCP payload totals tshark listed
    // (32768 + 32768 + 34497 for the command, 32768 + 32768 + 34475 for the reply).
    const set = ok(redis.parse(segment('inline commands then a 100000-byte value', 0, 1), 0, redis.createState()));
    assert.equal(set.consumed, 100033);
    assert.equal(set.frame.command, 'SET');
    assert.match(set.frame.args!, /^big x+…$/);
    const get = ok(redis.parse(segment('inline commands then a 100000-byte value', 1, 2), 1, redis.createState()));
    assert.equal(get.consumed, 100011);
    assert.equal(get.frame.summary, '(bulk 100000 bytes)');
  });

  it('records the 100000-byte exchanges with their real sizes when replayed with holes', () => {
    const { records, counters } = replay(connection('inline commands then a 100000-byte value').segments);
    assert.deepEqual(records.map((r) => [r.request_type, r.request_bytes, r.response_bytes]), [
      ['PING', 6, 7], ['SET', 16, 5], ['GET', 14, 7], ['SET', 100033, 5], ['GET', 22, 100011],
    ]);
    assert.equal(counters['redis.parse_errors'], undefined);
  });

  it('streams a reply larger than the buffer instead of dropping it', () => {
    // LRANGE-style reply: 30000 bulk strings of 10 bytes, 480 KB, fed in 8 KiB segments to a
    // stream that buffers at most 64 KiB.
    const items = 30000;
    const reply = latin1(`*${items}\r\n` + '$10\r\n0123456789\r\n'.repeat(items));
    const segments = [{ dir: 0 as const, bytes: '*4\r\n$6\r\nLRANGE\r\n$4\r\nlist\r\n$1\r\n0\r\n$2\r\n-1\r\n', length: 41 }];
    for (let at = 0; at < reply.length; at += 8192) {
      const part = reply.subarray(at, at + 8192);
      segments.push({ dir: 1 as 0, bytes: Buffer.from(part).toString('latin1'), length: part.length });
    }
    segments.push({ dir: 0, bytes: '*1\r\n$4\r\nPING\r\n', length: 14 }, { dir: 1 as 0, bytes: '+PONG\r\n', length: 7 });
    const { records, counters } = replay(segments, { maxBufferPerDirection: 64 * 1024 });
    assert.deepEqual(records.map((r) => [r.request_type, r.response_status, r.response_summary]), [
      ['LRANGE', 'ok', `(array ${items})`], ['PING', 'ok', 'PONG'],
    ]);
    assert.equal(counters['redis.buffer_overflow_bytes'], undefined);
    assert.equal(counters['redis.parse_errors'], undefined);
  });

  it('steps over a 100000-byte bulk in the middle of a reply and walks the rest as it comes', () => {
    const state = redis.createState();
    const head = latin1('*2\r\n$100000\r\n' + 'v'.repeat(100));
    const first = ok(redis.parse(head, 1, state));
    // RESP framing: "*2\r\n" (4) + "$100000\r\n" (9) + body + "\r\n".
    assert.equal(first.consumed, 4 + 9 + 100000 + 2);
    assert.equal(first.frame.summary, '(array 2)');
    const rest = redis.parse(latin1('$1\r\nx\r\n+OK\r\n'), 1, state);
    assert.deepEqual(rest, { state: 'ignored', consumed: 7 });
    assert.equal(ok(redis.parse(latin1('+OK\r\n'), 1, state)).frame.summary, 'OK');
  });

  it('steps over a 100000-byte argument in the middle of a command (MSET)', () => {
    const state = redis.createState();
    const head = latin1('*5\r\n$4\r\nMSET\r\n$2\r\nk1\r\n$100000\r\n' + 'v'.repeat(100));
    const first = ok(redis.parse(head, 0, state));
    assert.equal(first.consumed, 4 + 10 + 8 + 9 + 100000 + 2);
    assert.equal(first.frame.command, 'MSET');
    assert.match(first.frame.args!, /^k1 v{63}… …$/);
    assert.deepEqual(redis.parse(latin1('$2\r\nk2\r\n$1\r\nv\r\n'), 0, state), { state: 'ignored', consumed: 15 });
  });

  it('finds the next command or reply after garbage', () => {
    const garbage = '\x00\xff\x13 junk\r\n';
    assert.equal(redis.findFrameBoundary(latin1(garbage + '*1\r\n$4\r\nPING\r\n'), 0, 0, redis.createState()), garbage.length);
    assert.equal(redis.findFrameBoundary(latin1(garbage + '+OK\r\n'), 1, 0, redis.createState()), garbage.length);
    assert.equal(redis.findFrameBoundary(latin1(garbage), 0, 0, redis.createState()), -1);
  });
});
