import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redis } from './spec.ts';
import type { RedisFrame } from './types.ts';
import { connection, latin1 } from './fixtures.ts';

function command(bytes: Uint8Array | string): RedisFrame {
  const r = redis.parse(typeof bytes === 'string' ? latin1(bytes) : bytes, 0, redis.createState());
  assert.equal(r.state, 'ok');
  return (r as { frame: RedisFrame }).frame;
}

function resp(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('');
}

describe('redis secrets never reach a frame', () => {
  it('AUTH password and AUTH user password, as redis-cli sends them', () => {
    const two = command(latin1(connection('AUTH user password').segments[0]!.bytes));
    assert.equal(two.command, 'AUTH');
    assert.equal(two.args, '*** ***');
    const one = command(latin1(connection('AUTH password refused').segments[0]!.bytes));
    assert.equal(one.args, '***');
    assert.ok(!JSON.stringify([one, two]).includes('s3cret'));
  });

  it('HELLO 3 AUTH user password', () => {
    const frame = command(latin1(connection('HELLO 3 AUTH').segments[0]!.bytes));
    assert.equal(frame.args, '3 AUTH alice ***');
  });

  it('CONFIG SET of a password parameter', () => {
    const frame = command(latin1(connection('CONFIG SET masterauth').segments[0]!.bytes));
    assert.equal(frame.command, 'CONFIG SET');
    assert.equal(frame.args, 'masterauth ***');
    assert.ok(!JSON.stringify(frame).includes('hunter2'));
    assert.equal(command(resp('CONFIG', 'SET', 'maxmemory', '100mb', 'requirepass', 'pw1')).args, 'maxmemory 100mb requirepass ***');
  });

  it('MIGRATE ... AUTH password and AUTH2 username password', () => {
    assert.equal(command(resp('MIGRATE', 'h', '6379', '', '0', '5000', 'AUTH', 'pw1', 'KEYS', 'a')).args, 'h 6379  0 5000 AUTH *** KEYS a');
    assert.equal(command(resp('MIGRATE', 'h', '6379', 'k', '0', '5000', 'AUTH2', 'bob', 'pw2')).args, 'h 6379 k 0 5000 AUTH2 bob ***');
  });

  it('ACL SETUSER password rules', () => {
    const frame = command(resp('ACL', 'SETUSER', 'bob', 'on', '>pw3', '#d2b6', '~*', '+@all'));
    assert.equal(frame.args, 'bob on *** *** ~* +@all');
  });

  it('an inline AUTH, and an AUTH whose password arrives in a later segment', () => {
    assert.equal(command('AUTH pw4\r\n').args, '***');
    const big = '*2\r\n$4\r\nAUTH\r\n$2000\r\n' + 'p'.repeat(100);
    assert.equal(command(big).args, '***');
  });
});
