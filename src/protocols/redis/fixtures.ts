/**
 * Real Redis traffic for tests: redis-cli and redis-benchmark 7.0.15 (Debian 12) against
 * redis-server 7.0.15 on 127.0.0.1:6390, captured with dumpcap on loopback; one entry per TCP
 * connection, one segment per TCP payload as tshark 4.0.17 listed them (`tcp.payload`), dir 0 from
 * the client. The inline commands were typed over a raw socket (redis-cli never sends them); the
 * 100000-byte value segments are cut to their first 40 bytes, `length` keeps the real size.
 * One retransmitted segment (tshark: tcp.analysis.retransmission) is left out.
 * Connections 19, 20, 22, 24 and 36 are the publishers and the writer seen by MONITOR.
 */

export interface CapturedSegment {
  dir: 0 | 1;
  /** The payload, as latin1 text; may be a prefix of the real payload (see `length`). */
  bytes: string;
  length: number;
}

export interface CapturedRedisConnection {
  name: string;
  segments: CapturedSegment[];
}

export const REDIS_CAPTURES: readonly CapturedRedisConnection[] = [
  {
    name: 'SET',
    segments: [
      { dir: 0, bytes: '*3\r\n$3\r\nSET\r\n$6\r\nuser:1\r\n$5\r\nhello\r\n', length: 36 },
      { dir: 1, bytes: '+OK\r\n', length: 5 },
    ],
  },
  {
    name: 'GET',
    segments: [
      { dir: 0, bytes: '*2\r\n$3\r\nGET\r\n$6\r\nuser:1\r\n', length: 25 },
      { dir: 1, bytes: '$5\r\nhello\r\n', length: 11 },
    ],
  },
  {
    name: 'GET missing key',
    segments: [
      { dir: 0, bytes: '*2\r\n$3\r\nGET\r\n$7\r\nmissing\r\n', length: 26 },
      { dir: 1, bytes: '$-1\r\n', length: 5 },
    ],
  },
  {
    name: 'INCR',
    segments: [
      { dir: 0, bytes: '*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n', length: 27 },
      { dir: 1, bytes: ':1\r\n', length: 4 },
    ],
  },
  {
    name: 'DEL',
    segments: [
      { dir: 0, bytes: '*2\r\n$3\r\nDEL\r\n$4\r\nlist\r\n', length: 23 },
      { dir: 1, bytes: ':0\r\n', length: 4 },
    ],
  },
  {
    name: 'RPUSH',
    segments: [
      { dir: 0, bytes: '*5\r\n$5\r\nRPUSH\r\n$4\r\nlist\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n', length: 46 },
      { dir: 1, bytes: ':3\r\n', length: 4 },
    ],
  },
  {
    name: 'LRANGE',
    segments: [
      { dir: 0, bytes: '*4\r\n$6\r\nLRANGE\r\n$4\r\nlist\r\n$1\r\n0\r\n$2\r\n-1\r\n', length: 41 },
      { dir: 1, bytes: '*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n', length: 25 },
    ],
  },
  {
    name: 'HSET',
    segments: [
      { dir: 0, bytes: '*6\r\n$4\r\nHSET\r\n$1\r\nh\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n', length: 53 },
      { dir: 1, bytes: ':2\r\n', length: 4 },
    ],
  },
  {
    name: 'RESP3 HGETALL after HELLO 3',
    segments: [
      { dir: 0, bytes: '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n', length: 22 },
      { dir: 1, bytes: '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:13\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n', length: 146 },
      { dir: 0, bytes: '*2\r\n$7\r\nHGETALL\r\n$1\r\nh\r\n', length: 24 },
      { dir: 1, bytes: '%2\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n', length: 36 },
    ],
  },
  {
    name: 'WRONGTYPE error',
    segments: [
      { dir: 0, bytes: '*3\r\n$5\r\nLPUSH\r\n$6\r\nuser:1\r\n$1\r\nx\r\n', length: 34 },
      { dir: 1, bytes: '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n', length: 68 },
    ],
  },
  {
    name: 'unknown command',
    segments: [
      { dir: 0, bytes: '*2\r\n$3\r\nFOO\r\n$3\r\nbar\r\n', length: 22 },
      { dir: 1, bytes: '-ERR unknown command \'FOO\', with args beginning with: \'bar\' \r\n', length: 62 },
    ],
  },
  {
    name: 'AUTH user password',
    segments: [
      { dir: 0, bytes: '*3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$6\r\ns3cret\r\n', length: 37 },
      { dir: 1, bytes: '+OK\r\n', length: 5 },
      { dir: 0, bytes: '*1\r\n$4\r\nPING\r\n', length: 14 },
      { dir: 1, bytes: '+PONG\r\n', length: 7 },
    ],
  },
  {
    name: 'AUTH password refused',
    segments: [
      { dir: 0, bytes: '*2\r\n$4\r\nAUTH\r\n$6\r\ns3cret\r\n', length: 26 },
      { dir: 1, bytes: '-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n', length: 127 },
      { dir: 0, bytes: '*1\r\n$4\r\nPING\r\n', length: 14 },
      { dir: 1, bytes: '+PONG\r\n', length: 7 },
    ],
  },
  {
    name: 'HELLO 3 AUTH',
    segments: [
      { dir: 0, bytes: '*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$5\r\nalice\r\n$6\r\ns3cret\r\n', length: 55 },
      { dir: 1, bytes: '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:18\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n', length: 146 },
    ],
  },
  {
    name: 'CONFIG SET masterauth',
    segments: [
      { dir: 0, bytes: '*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$10\r\nmasterauth\r\n$7\r\nhunter2\r\n', length: 55 },
      { dir: 1, bytes: '+OK\r\n', length: 5 },
    ],
  },
  {
    name: 'redis-benchmark CONFIG GET pipelined',
    segments: [
      { dir: 0, bytes: '*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$10\r\nappendonly\r\n', length: 77 },
      { dir: 1, bytes: '*2\r\n$4\r\nsave\r\n$0\r\n\r\n*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n', length: 49 },
    ],
  },
  {
    name: 'redis-benchmark SET -P 4',
    segments: [
      { dir: 0, bytes: '*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nVXK\r\n*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nVXK\r\n*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nVXK\r\n*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nVXK\r\n', length: 180 },
      { dir: 1, bytes: '+OK\r\n+OK\r\n+OK\r\n+OK\r\n', length: 20 },
      { dir: 0, bytes: '*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nVXK\r\n*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nVXK\r\n*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nVXK\r\n*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nVXK\r\n', length: 180 },
      { dir: 1, bytes: '+OK\r\n+OK\r\n+OK\r\n+OK\r\n', length: 20 },
    ],
  },
  {
    name: 'redis-benchmark GET -P 4',
    segments: [
      { dir: 0, bytes: '*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n', length: 144 },
      { dir: 1, bytes: '$3\r\nVXK\r\n$3\r\nVXK\r\n$3\r\nVXK\r\n$3\r\nVXK\r\n', length: 36 },
      { dir: 0, bytes: '*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n', length: 144 },
      { dir: 1, bytes: '$3\r\nVXK\r\n$3\r\nVXK\r\n$3\r\nVXK\r\n$3\r\nVXK\r\n', length: 36 },
    ],
  },
  {
    name: 'SUBSCRIBE three channels',
    segments: [
      { dir: 0, bytes: '*4\r\n$9\r\nSUBSCRIBE\r\n$3\r\nch1\r\n$3\r\nch2\r\n$3\r\nch3\r\n', length: 46 },
      { dir: 1, bytes: '*3\r\n$9\r\nsubscribe\r\n$3\r\nch1\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$3\r\nch2\r\n:2\r\n*3\r\n$9\r\nsubscribe\r\n$3\r\nch3\r\n:3\r\n', length: 96 },
      { dir: 1, bytes: '*3\r\n$7\r\nmessage\r\n$3\r\nch1\r\n$5\r\nhello\r\n', length: 37 },
      { dir: 1, bytes: '*3\r\n$7\r\nmessage\r\n$3\r\nch2\r\n$5\r\nworld\r\n', length: 37 },
    ],
  },
  {
    name: 'PUBLISH ch1',
    segments: [
      { dir: 0, bytes: '*3\r\n$7\r\nPUBLISH\r\n$3\r\nch1\r\n$5\r\nhello\r\n', length: 37 },
      { dir: 1, bytes: ':1\r\n', length: 4 },
    ],
  },
  {
    name: 'PUBLISH ch2',
    segments: [
      { dir: 0, bytes: '*3\r\n$7\r\nPUBLISH\r\n$3\r\nch2\r\n$5\r\nworld\r\n', length: 37 },
      { dir: 1, bytes: ':1\r\n', length: 4 },
    ],
  },
  {
    name: 'PSUBSCRIBE',
    segments: [
      { dir: 0, bytes: '*2\r\n$10\r\nPSUBSCRIBE\r\n$6\r\nnews.*\r\n', length: 33 },
      { dir: 1, bytes: '*3\r\n$10\r\npsubscribe\r\n$6\r\nnews.*\r\n:1\r\n', length: 37 },
      { dir: 1, bytes: '*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$9\r\nnews.tech\r\n$2\r\nhi\r\n', length: 53 },
    ],
  },
  {
    name: 'PUBLISH news.tech',
    segments: [
      { dir: 0, bytes: '*3\r\n$7\r\nPUBLISH\r\n$9\r\nnews.tech\r\n$2\r\nhi\r\n', length: 40 },
      { dir: 1, bytes: ':1\r\n', length: 4 },
    ],
  },
  {
    name: 'RESP3 SUBSCRIBE',
    segments: [
      { dir: 0, bytes: '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n', length: 22 },
      { dir: 1, bytes: '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:28\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n', length: 146 },
      { dir: 0, bytes: '*2\r\n$9\r\nSUBSCRIBE\r\n$3\r\nch1\r\n', length: 28 },
      { dir: 1, bytes: '>3\r\n$9\r\nsubscribe\r\n$3\r\nch1\r\n:1\r\n', length: 32 },
      { dir: 1, bytes: '>3\r\n$7\r\nmessage\r\n$3\r\nch1\r\n$5\r\nresp3\r\n', length: 37 },
    ],
  },
  {
    name: 'PUBLISH resp3',
    segments: [
      { dir: 0, bytes: '*3\r\n$7\r\nPUBLISH\r\n$3\r\nch1\r\n$5\r\nresp3\r\n', length: 37 },
      { dir: 1, bytes: ':1\r\n', length: 4 },
    ],
  },
  {
    name: 'DEBUG PROTOCOL attrib',
    segments: [
      { dir: 0, bytes: '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n', length: 22 },
      { dir: 1, bytes: '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:30\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n', length: 146 },
      { dir: 0, bytes: '*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$6\r\nattrib\r\n', length: 41 },
      { dir: 1, bytes: '|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n', length: 93 },
    ],
  },
  {
    name: 'DEBUG PROTOCOL map',
    segments: [
      { dir: 0, bytes: '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n', length: 22 },
      { dir: 1, bytes: '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:31\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n', length: 146 },
      { dir: 0, bytes: '*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$3\r\nmap\r\n', length: 38 },
      { dir: 1, bytes: '%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n', length: 28 },
    ],
  },
  {
    name: 'DEBUG PROTOCOL set',
    segments: [
      { dir: 0, bytes: '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n', length: 22 },
      { dir: 1, bytes: '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:32\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n', length: 146 },
      { dir: 0, bytes: '*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$3\r\nset\r\n', length: 38 },
      { dir: 1, bytes: '~3\r\n:0\r\n:1\r\n:2\r\n', length: 16 },
    ],
  },
  {
    name: 'DEBUG PROTOCOL push',
    segments: [
      { dir: 0, bytes: '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n', length: 22 },
      { dir: 1, bytes: '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:33\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n', length: 146 },
      { dir: 0, bytes: '*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$4\r\npush\r\n', length: 39 },
      { dir: 1, bytes: '>2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$40\r\nSome real reply following the push reply\r\n', length: 79 },
    ],
  },
  {
    name: 'DEBUG PROTOCOL verbatim',
    segments: [
      { dir: 0, bytes: '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n', length: 22 },
      { dir: 1, bytes: '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:34\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n', length: 146 },
      { dir: 0, bytes: '*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$8\r\nverbatim\r\n', length: 43 },
      { dir: 1, bytes: '=29\r\ntxt:This is a verbatim\nstring\r\n', length: 36 },
    ],
  },
  {
    name: 'DEBUG PROTOCOL double',
    segments: [
      { dir: 0, bytes: '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n', length: 22 },
      { dir: 1, bytes: '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:35\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n', length: 146 },
      { dir: 0, bytes: '*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$6\r\ndouble\r\n', length: 41 },
      { dir: 1, bytes: ',3.141\r\n', length: 8 },
    ],
  },
  {
    name: 'DEBUG PROTOCOL bignum',
    segments: [
      { dir: 0, bytes: '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n', length: 22 },
      { dir: 1, bytes: '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:36\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n', length: 146 },
      { dir: 0, bytes: '*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$6\r\nbignum\r\n', length: 41 },
      { dir: 1, bytes: '(1234567999999999999999999999999999999\r\n', length: 40 },
    ],
  },
  {
    name: 'DEBUG PROTOCOL true',
    segments: [
      { dir: 0, bytes: '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n', length: 22 },
      { dir: 1, bytes: '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:37\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n', length: 146 },
      { dir: 0, bytes: '*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$4\r\ntrue\r\n', length: 39 },
      { dir: 1, bytes: '#t\r\n', length: 4 },
    ],
  },
  {
    name: 'DEBUG PROTOCOL false',
    segments: [
      { dir: 0, bytes: '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n', length: 22 },
      { dir: 1, bytes: '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:38\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n', length: 146 },
      { dir: 0, bytes: '*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$5\r\nfalse\r\n', length: 40 },
      { dir: 1, bytes: '#f\r\n', length: 4 },
    ],
  },
  {
    name: 'DEBUG PROTOCOL null',
    segments: [
      { dir: 0, bytes: '*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n', length: 22 },
      { dir: 1, bytes: '%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:39\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n', length: 146 },
      { dir: 0, bytes: '*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$4\r\nnull\r\n', length: 39 },
      { dir: 1, bytes: '_\r\n', length: 3 },
    ],
  },
  {
    name: 'MONITOR',
    segments: [
      { dir: 0, bytes: '*1\r\n$7\r\nMONITOR\r\n', length: 17 },
      { dir: 1, bytes: '+OK\r\n', length: 5 },
      { dir: 1, bytes: '+1796033982.414465 [0 127.0.0.1:35546] "SET" "k" "v"\r\n', length: 54 },
    ],
  },
  {
    name: 'SET during MONITOR',
    segments: [
      { dir: 0, bytes: '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n', length: 27 },
      { dir: 1, bytes: '+OK\r\n', length: 5 },
    ],
  },
  {
    name: 'inline commands then a 100000-byte value',
    segments: [
      { dir: 0, bytes: 'PING\r\nSET inline:k v\r\nGET inline:k\r\n', length: 36 },
      { dir: 1, bytes: '+PONG\r\n+OK\r\n$1\r\nv\r\n', length: 19 },
      { dir: 0, bytes: '*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$100000\r\nxxxxxxxxx', length: 32768 },
      { dir: 0, bytes: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', length: 32768 },
      { dir: 0, bytes: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', length: 34497 },
      { dir: 1, bytes: '+OK\r\n', length: 5 },
      { dir: 0, bytes: '*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n', length: 22 },
      { dir: 1, bytes: '$100000\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', length: 32768 },
      { dir: 1, bytes: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', length: 32768 },
      { dir: 1, bytes: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', length: 34475 },
    ],
  },
  {
    // Typed over a raw socket: SUBSCRIBE, a message published by another client, PING in subscribed
    // mode, UNSUBSCRIBE from all, then an ordinary command once unsubscribed.
    name: 'subscribe, ping, unsubscribe all, get',
    segments: [
      { dir: 0, bytes: '*4\r\n$9\r\nSUBSCRIBE\r\n$3\r\nch1\r\n$3\r\nch2\r\n$3\r\nch3\r\n', length: 46 },
      { dir: 1, bytes: '*3\r\n$9\r\nsubscribe\r\n$3\r\nch1\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$3\r\nch2\r\n:2\r\n*3\r\n$9\r\nsubscribe\r\n$3\r\nch3\r\n:3\r\n', length: 96 },
      { dir: 1, bytes: '*3\r\n$7\r\nmessage\r\n$3\r\nch2\r\n$7\r\npayload\r\n', length: 39 },
      { dir: 0, bytes: '*1\r\n$4\r\nPING\r\n', length: 14 },
      { dir: 1, bytes: '*2\r\n$4\r\npong\r\n$0\r\n\r\n', length: 20 },
      { dir: 0, bytes: '*1\r\n$11\r\nUNSUBSCRIBE\r\n', length: 22 },
      { dir: 1, bytes: '*3\r\n$11\r\nunsubscribe\r\n$3\r\nch1\r\n:2\r\n*3\r\n$11\r\nunsubscribe\r\n$3\r\nch3\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$3\r\nch2\r\n:0\r\n', length: 105 },
      { dir: 0, bytes: '*2\r\n$3\r\nGET\r\n$6\r\nuser:1\r\n', length: 25 },
      { dir: 1, bytes: '$5\r\nhello\r\n', length: 11 },
    ],
  },
];

export function latin1(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'latin1'));
}

export function connection(name: string): CapturedRedisConnection {
  const found = REDIS_CAPTURES.find((c) => c.name === name);
  if (!found) throw new Error(`no capture named ${name}`);
  return found;
}

/** All bytes one side sent on a connection, joined (prefix-cut segments included as captured). */
export function sent(name: string, dir: 0 | 1): Uint8Array {
  return latin1(connection(name).segments.filter((s) => s.dir === dir).map((s) => s.bytes).join(''));
}
