/**
 * The shared conformance suite over real redis-cli / redis-server 7.0.15 exchanges (fixtures.ts).
 * Commands and arguments are read off the captured bytes; error texts are what redis-cli printed;
 * '(nil)' and '(integer) n' are redis-cli's own renderings of those replies.
 */
import { describeConformance } from '../conformance.ts';
import type { ConformanceExchange } from '../conformance.ts';
import type { ProtocolFields } from '../protocol.ts';
import { redis } from './spec.ts';
import { connection, latin1 } from './fixtures.ts';

/** The first command of a captured connection and the reply to it. */
function exchange(name: string, expect: Partial<ProtocolFields>): ConformanceExchange {
  const segments = connection(name).segments;
  const request = segments.find((s) => s.dir === 0)!;
  const response = segments.find((s) => s.dir === 1)!;
  return { request: latin1(request.bytes), response: latin1(response.bytes), expect };
}

describeConformance(redis, {
  transport: 'tcp',
  serverPort: 6379,
  exchanges: [
    exchange('SET', { request_type: 'SET', request_resource: 'user:1 hello', response_status: 'ok', response_message: null }),
    exchange('GET', { request_type: 'GET', request_resource: 'user:1', response_status: 'ok' }),
    exchange('GET missing key', { request_type: 'GET', request_resource: 'missing', response_summary: '(nil)' }),
    exchange('INCR', { request_type: 'INCR', request_resource: 'counter', response_summary: '(integer) 1' }),
    exchange('LRANGE', { request_type: 'LRANGE', request_resource: 'list 0 -1', response_status: 'ok' }),
    exchange('WRONGTYPE error', {
      request_type: 'LPUSH',
      request_resource: 'user:1 x',
      response_status: 'client_error',
      response_message: 'WRONGTYPE Operation against a key holding the wrong kind of value',
    }),
    exchange('AUTH user password', { request_type: 'AUTH', request_resource: '*** ***', response_status: 'ok' }),
    exchange('CONFIG SET masterauth', { request_type: 'CONFIG SET', request_resource: 'masterauth ***' }),
  ],
});
