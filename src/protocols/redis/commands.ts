/**
 * @module protocols/redis/commands
 * What the parser needs to know about Redis commands: which take a subcommand, which arguments
 * are secrets, which start or end pub/sub, and which words are commands (for detection).
 */

/** Commands whose first argument is a subcommand: "CONFIG SET", "CLIENT SETNAME", "XINFO STREAM". */
export const CONTAINER_COMMANDS: ReadonlySet<string> = new Set([
  'ACL', 'CLIENT', 'CLUSTER', 'COMMAND', 'CONFIG', 'DEBUG', 'FUNCTION', 'LATENCY', 'MEMORY',
  'MODULE', 'OBJECT', 'PUBSUB', 'SCRIPT', 'SLOWLOG', 'XGROUP', 'XINFO',
]);

/** Commands a person types inline (telnet, nc) or a client sends first; enough to recognise the protocol. */
export const KNOWN_COMMANDS: ReadonlySet<string> = new Set([
  'ACL', 'APPEND', 'AUTH', 'BGSAVE', 'BLPOP', 'BRPOP', 'BZPOPMIN', 'CLIENT', 'CLUSTER', 'COMMAND',
  'CONFIG', 'DBSIZE', 'DEBUG', 'DECR', 'DECRBY', 'DEL', 'DISCARD', 'ECHO', 'EVAL', 'EVALSHA', 'EXEC',
  'EXISTS', 'EXPIRE', 'FLUSHALL', 'FLUSHDB', 'GET', 'GETDEL', 'GETEX', 'GETSET', 'HDEL', 'HELLO',
  'HEXISTS', 'HGET', 'HGETALL', 'HINCRBY', 'HKEYS', 'HLEN', 'HMGET', 'HMSET', 'HSCAN', 'HSET', 'INCR',
  'INCRBY', 'INFO', 'KEYS', 'LINDEX', 'LLEN', 'LPOP', 'LPUSH', 'LRANGE', 'LREM', 'LTRIM', 'MGET',
  'MONITOR', 'MSET', 'MULTI', 'PEXPIRE', 'PING', 'PSUBSCRIBE', 'PTTL', 'PUBLISH', 'QUIT', 'READONLY',
  'RENAME', 'REPLCONF', 'RESET', 'ROLE', 'RPOP', 'RPUSH', 'SADD', 'SCAN', 'SCARD', 'SELECT', 'SET',
  'SETEX', 'SETNX', 'SISMEMBER', 'SMEMBERS', 'SREM', 'SSUBSCRIBE', 'SUBSCRIBE', 'SYNC', 'PSYNC',
  'TIME', 'TTL', 'TYPE', 'UNLINK', 'UNSUBSCRIBE', 'WATCH', 'XADD', 'XLEN', 'XRANGE', 'XREAD',
  'XREADGROUP', 'ZADD', 'ZCARD', 'ZINCRBY', 'ZRANGE', 'ZRANGEBYSCORE', 'ZREM', 'ZREVRANGE', 'ZSCORE',
]);

/** (Un)subscribe commands and which subscription count their confirmations change. */
export const SUBSCRIBE_KINDS: Readonly<Record<string, 'channels' | 'patterns' | 'shardChannels'>> = {
  SUBSCRIBE: 'channels', UNSUBSCRIBE: 'channels',
  PSUBSCRIBE: 'patterns', PUNSUBSCRIBE: 'patterns',
  SSUBSCRIBE: 'shardChannels', SUNSUBSCRIBE: 'shardChannels',
};

/** Read access to a command's arguments without decoding them (secrets must never become strings). */
export interface ArgView {
  /** Number of arguments after the command name (the subcommand included). */
  readonly count: number;
  /** Case-insensitive comparison of argument `i` with an ASCII word. */
  is(i: number, upperWord: string): boolean;
  /** First byte of argument `i`, or -1 when it is empty or not captured. */
  firstByte(i: number): number;
  /** Argument `i` contains `lowerText` (ASCII, case-insensitive). */
  contains(i: number, lowerText: string): boolean;
}

/**
 * Whether argument `i` (0-based, after the command name) is a secret, for the commands that carry
 * credentials: AUTH, HELLO ... AUTH user pass, MIGRATE ... AUTH pass | AUTH2 user pass,
 * CONFIG SET of a password parameter, ACL SETUSER password rules (>pass, <pass, #hash, !hash).
 */
export function isSecretArg(command: string, args: ArgView, i: number): boolean {
  switch (command) {
    case 'AUTH':
      return true;
    case 'HELLO':
      // HELLO protover AUTH username password: the password follows the username.
      return i >= 3 && args.is(i - 2, 'AUTH');
    case 'MIGRATE':
      return (i >= 1 && args.is(i - 1, 'AUTH')) || (i >= 2 && args.is(i - 2, 'AUTH2'));
    case 'CONFIG':
      // CONFIG SET name value [name value ...]: values at even positions after SET.
      return args.is(0, 'SET') && i >= 2 && i % 2 === 0 &&
        (args.contains(i - 1, 'pass') || args.contains(i - 1, 'auth'));
    case 'ACL': {
      if (!args.is(0, 'SETUSER') || i < 2) return false;
      const c = args.firstByte(i);
      return c === 0x3e || c === 0x3c || c === 0x23 || c === 0x21; // > < # !
    }
    default:
      return false;
  }
}
