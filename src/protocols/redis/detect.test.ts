import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detectRedis } from './detect.ts';
import type { DetectContext } from '../protocol.ts';
import { REDIS_CAPTURES, latin1 } from './fixtures.ts';

const ctx = (dir: 0 | 1, transport: 'tcp' | 'udp' = 'tcp'): DetectContext => ({ transport, dir, srcPort: 40000, dstPort: 7000 });

describe('redis detect', () => {
  it('recognises the first command of every captured connection without a port hint', () => {
    for (const c of REDIS_CAPTURES) {
      const first = c.segments[0]!;
      if (first.bytes.startsWith('PING')) continue; // inline: needs the port, below
      assert.ok(detectRedis(latin1(first.bytes), ctx(first.dir)) >= 0.7, c.name);
    }
  });

  it('recognises an inline known command only with the port hint (0.45 + 0.2)', () => {
    const score = detectRedis(latin1('PING\r\nSET inline:k v\r\n'), ctx(0));
    assert.ok(score < 0.5 && score + 0.2 >= 0.5);
  });

  it('recognises the common first replies of a server', () => {
    for (const reply of ['+OK\r\n', '+PONG\r\n', '-NOAUTH Authentication required.\r\n', '$5\r\nhello\r\n', '*3\r\n$1\r\na\r\n']) {
      assert.ok(detectRedis(latin1(reply), ctx(1)) >= 0.5, reply);
    }
  });

  it('gives a command array cut after "*" a score only a port hint lifts over 0.5', () => {
    for (const prefix of ['*', '*3', '*3\r\n', '*3\r\n$3\r\nSE']) {
      const score = detectRedis(latin1(prefix), ctx(0));
      assert.ok(score > 0 && score < 0.5 && score + 0.2 >= 0.5, JSON.stringify(prefix));
    }
  });

  it('never takes HTTP, DNS, TLS or binary bytes for Redis', () => {
    const others = [
      latin1('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      latin1('GET /index.html HTTP/1.0\r\n\r\n'),
      latin1('HTTP/1.1 200 OK\r\n\r\n'),
      latin1('POST /api HTTP/1.1\r\n'),
      Uint8Array.from(Buffer.from('0037b4d5012000010000000000010161076578616d706c650474657374000001000100', 'hex')),
      Uint8Array.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]),
      Uint8Array.from([0x00, 0xff, 0x13, 0x37, 0x80, 0x01]),
    ];
    for (const bytes of others) {
      for (const dir of [0, 1] as const) {
        assert.equal(detectRedis(bytes, ctx(dir)), 0, `${Buffer.from(bytes).toString('latin1').slice(0, 16)} dir ${dir}`);
      }
    }
    // Valid replies, but never a client's command: an empty array, an array of integers.
    assert.equal(detectRedis(latin1('*0\r\n'), ctx(0)), 0);
    assert.equal(detectRedis(latin1('*3\r\n:1\r\n'), ctx(0)), 0);
  });

  it('is TCP only', () => {
    assert.equal(detectRedis(latin1('*1\r\n$4\r\nPING\r\n'), ctx(0, 'udp')), 0);
  });
});
