import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeRedis } from './describe.ts';
import { redis } from './spec.ts';
import type { RedisFrame } from './types.ts';
import { connection, latin1 } from './fixtures.ts';

function frames(name: string): [RedisFrame, RedisFrame] {
  const state = redis.createState();
  const segments = connection(name).segments;
  const req = redis.parse(latin1(segments.find((s) => s.dir === 0)!.bytes), 0, state);
  const resp = redis.parse(latin1(segments.find((s) => s.dir === 1)!.bytes), 1, state);
  assert.equal(req.state, 'ok');
  assert.equal(resp.state, 'ok');
  return [(req as { frame: RedisFrame }).frame, (resp as { frame: RedisFrame }).frame];
}

describe('redis describe', () => {
  it('describes a command with its key first and no response code', () => {
    const fields = describeRedis(...frames('RPUSH'));
    assert.equal(fields.request_type, 'RPUSH');
    assert.equal(fields.request_resource, 'list a b c');
    assert.equal(fields.response_code, null);
    assert.equal(fields.response_status, 'ok');
    assert.equal(fields.response_message, null);
    assert.equal(fields.response_summary, '(integer) 3'); // redis-cli printed 3
  });

  it('describes an error reply as a client error with its text', () => {
    const fields = describeRedis(...frames('unknown command'));
    assert.equal(fields.request_type, 'FOO');
    assert.equal(fields.response_status, 'client_error');
    assert.equal(fields.response_message, "ERR unknown command 'FOO', with args beginning with: 'bar' ");
  });

  it('describes a reply without its command, and a command without its reply', () => {
    const [req, resp] = frames('GET');
    assert.equal(describeRedis(null, resp).request_type, null);
    assert.equal(describeRedis(null, resp).response_status, 'ok');
    assert.equal(describeRedis(req, null).response_status, 'unknown');
  });

  it('cuts long arguments at 64 characters and the whole summary at 256', () => {
    const long = 'k'.repeat(100);
    const args = Array.from({ length: 10 }, () => long);
    const bytes = `*${args.length + 1}\r\n$4\r\nMSET\r\n` + args.map((a) => `$${a.length}\r\n${a}\r\n`).join('');
    const r = redis.parse(latin1(bytes), 0, redis.createState());
    const fields = describeRedis((r as { frame: RedisFrame }).frame, null);
    assert.equal(fields.request_resource!.length, 256);
    assert.ok(fields.request_resource!.startsWith('k'.repeat(63) + '… '));
  });
});
