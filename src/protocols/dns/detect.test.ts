import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { detectDns } from './detect.ts';
import type { DetectContext } from '../protocol.ts';
import { DNS_CAPTURES, hex } from './fixtures.ts';

const ctx = (transport: 'tcp' | 'udp', dir: 0 | 1 = 0): DetectContext => ({ transport, dir, srcPort: 40000, dstPort: 53 });
const text = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

/** First bytes of other protocols, as their clients and servers send them. */
const OTHERS = [
  text('GET / HTTP/1.1\r\nHost: example.test\r\n\r\n'),
  text('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
  text('*3\r\n$3\r\nSET\r\n$6\r\nuser:1\r\n$5\r\nhello\r\n'),
  text('*1\r\n$4\r\nPING\r\n'),
  text('+OK\r\n'),
  text('-ERR unknown command\r\n'),
  text('PING\r\n'),
  // TLS ClientHello record header and a PostgreSQL startup message.
  Uint8Array.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x11, 0x22, 0x33, 0x44, 0x55]),
  Uint8Array.from([0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f, 0, 0, 0, 0x28, 0, 3, 0, 0, 0x75, 0x73, 0x65, 0x72]),
];

describe('dns detect', () => {
  it('recognises every captured query and answer, on its own transport', () => {
    for (const c of DNS_CAPTURES) {
      assert.ok(detectDns(hex(c.request), ctx(c.transport, 0)) >= 0.8, `${c.name} request`);
      if (c.response) assert.ok(detectDns(hex(c.response), ctx(c.transport, 1)) >= 0.8, `${c.name} response`);
    }
  });

  it('does not take a UDP message for a TCP one or the reverse', () => {
    const udp = DNS_CAPTURES.find((c) => c.transport === 'udp')!;
    const tcp = DNS_CAPTURES.find((c) => c.transport === 'tcp')!;
    assert.equal(detectDns(hex(udp.request), ctx('tcp')), 0);
    assert.equal(detectDns(hex(tcp.request), ctx('udp')), 0);
  });

  it('gives the start of a TCP message a score only a port hint can lift over 0.5', () => {
    const tcp = hex(DNS_CAPTURES.find((c) => c.transport === 'tcp')!.request);
    const score = detectDns(tcp.subarray(0, 1), ctx('tcp'));
    assert.ok(score > 0 && score + 0.2 >= 0.5 && score < 0.5);
  });

  it('never mistakes HTTP, Redis, TLS or PostgreSQL first bytes for DNS', () => {
    for (const bytes of OTHERS) {
      for (const transport of ['tcp', 'udp'] as const) {
        for (const dir of [0, 1] as const) {
          assert.equal(detectDns(bytes, ctx(transport, dir)), 0, `${Buffer.from(bytes).toString('latin1').slice(0, 20)} over ${transport}`);
        }
      }
    }
  });
});
