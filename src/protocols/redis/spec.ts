/**
 * @module protocols/redis/spec
 * Redis over TCP, RESP2 and RESP3: the spec the registry lists. Replies pair with commands in
 * order (Redis answers pipelined commands in the order sent); pub/sub deliveries and MONITOR
 * lines are messages, not replies.
 */
import type { ProtocolSpec } from '../protocol.ts';
import { detectRedis } from './detect.ts';
import { describeRedis } from './describe.ts';
import { findRedisBoundary, parseRedis } from './parse.ts';
import { createRedisState } from './types.ts';
import type { RedisFrame, RedisState } from './types.ts';

export const redis: ProtocolSpec<RedisFrame, RedisState> = {
  name: 'redis',
  transports: ['tcp'],
  ports: [6379, 6380, 26379],
  detect: detectRedis,
  createState: createRedisState,
  parse: parseRedis,
  findFrameBoundary: findRedisBoundary,
  matching: 'fifo',
  describe: describeRedis,
};
