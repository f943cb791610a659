import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dns } from './spec.ts';
import { parseDns, findDnsBoundary } from './parse.ts';
import type { DnsFrame, DnsState } from './types.ts';
import type { ParseResult } from '../protocol.ts';
import { DNS_CAPTURES, capture, hex } from './fixtures.ts';
import { DnsBuilder } from './testing.ts';

function state(framing: DnsState['framing'] = 'unknown'): DnsState {
  return { framing };
}

function ok(result: ParseResult<DnsFrame>): { frame: DnsFrame; consumed: number } {
  assert.equal(result.state, 'ok', result.state === 'invalid' ? result.reason : result.state);
  return result as { state: 'ok'; frame: DnsFrame; consumed: number };
}

describe('dns parse: real dig/dnsmasq messages, checked against tshark', () => {
  for (const c of DNS_CAPTURES) {
    it(`${c.name}: id, name, type, rcode and counts`, () => {
      const s = state();
      const q = ok(parseDns(hex(c.request), 0, s));
      assert.equal(s.framing, c.transport);
      assert.equal(q.frame.kind, 'request');
      assert.equal(q.frame.key, c.id);
      assert.equal(q.frame.qname, c.tshark.qname);
      assert.equal(q.frame.qtype, c.tshark.qtype);
      assert.equal(q.consumed, hex(c.request).length);
      if (c.response === null) return;
      const r = ok(parseDns(hex(c.response), 1, s));
      assert.equal(r.frame.kind, 'response');
      assert.equal(r.frame.key, c.id);
      assert.equal(r.frame.qname, c.tshark.qname);
      assert.equal(r.frame.rcode, c.tshark.rcode);
      assert.equal(r.frame.answerCount, c.tshark.answerCount);
      assert.equal(r.frame.complete, true);
    });
  }

  it('summarises each answer type as tshark decodes it', () => {
    const answers = (name: string) => ok(parseDns(hex(capture(name).response!), 1, state())).frame.answers;
    const t = (name: string) => capture(name).tshark;
    assert.equal(answers('udp A'), `A ${t('udp A').a}`);
    assert.equal(answers('udp AAAA'), `AAAA ${t('udp AAAA').aaaa}`);
    // dns.resp.type lists CNAME (5) before A (1).
    assert.equal(t('udp CNAME chain').rrTypes, '5,1,41');
    assert.equal(answers('udp CNAME chain'), `CNAME ${t('udp CNAME chain').cname}., A ${t('udp CNAME chain').a}`);
    assert.equal(answers('udp MX'), `MX 10 ${t('udp MX').mx}.`);
    const [first, second] = t('udp TXT').txt.split(',');
    assert.equal(answers('udp TXT'), `TXT "${first}" "${second}"`);
    assert.equal(answers('udp SRV'), `SRV 10 20 5060 ${t('udp SRV').srv}.`);
    assert.equal(answers('udp PTR'), `PTR ${t('udp PTR').ptr}.`);
    assert.equal(answers('udp NXDOMAIN'), null);
  });

  it('escapes a non-printable label byte as tshark and dig do (\\001)', () => {
    const c = capture('udp non-printable label');
    assert.equal(c.tshark.qname, 'a\\001b.example.test');
    assert.equal(ok(parseDns(hex(c.request), 0, state())).frame.qname, c.tshark.qname);
  });
});

describe('dns parse: TCP framing', () => {
  const a = capture('tcp keepopen A');
  const aaaa = capture('tcp keepopen AAAA');

  it('reads two length-prefixed messages from one segment', () => {
    const first = hex(a.response!);
    const second = hex(aaaa.response!);
    const joined = new Uint8Array([...first, ...second]);
    const s = state();
    const one = ok(parseDns(joined, 1, s));
    // tshark: the first message is tcp.len 61 with a 0x003b (59) length prefix.
    assert.equal(one.consumed, 2 + 0x3b);
    assert.equal(one.frame.key, a.id);
    const two = ok(parseDns(joined.subarray(one.consumed), 1, s));
    assert.equal(two.frame.key, aaaa.id);
    assert.equal(two.consumed, second.length);
  });

  it('waits for the rest of a message split at any offset', () => {
    const whole = hex(a.request);
    for (let cut = 0; cut < whole.length; cut++) {
      assert.equal(parseDns(whole.subarray(0, cut), 0, state('tcp')).state, 'needs-more', `cut at ${cut}`);
    }
    assert.equal(ok(parseDns(whole, 0, state('tcp'))).frame.qname, a.tshark.qname);
  });

  it('rejects a header that cannot be DNS before the length is in', () => {
    // A length prefix of 0x4745 followed by the rest of "GET / HTTP/1.1": opcode and counts are wrong.
    const http = Uint8Array.from(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(parseDns(http, 0, state('tcp')).state, 'invalid');
  });

  it('finds the next message after garbage', () => {
    const garbage = Uint8Array.from([0x13, 0x37, 0xff, 0x00, 0x42, 0x80, 0x01]);
    const msg = hex(a.request);
    const data = new Uint8Array([...garbage, ...msg]);
    assert.equal(findDnsBoundary(data, 0, 0, state('tcp')), garbage.length);
    assert.equal(findDnsBoundary(garbage, 0, 0, state('tcp')), -1);
  });
});

describe('dns parse: truncated and malformed messages', () => {
  const response = hex(capture('udp A').response!);

  it('keeps what it could decode from a datagram cut inside its records', () => {
    // Cut inside the OPT record at the end: the A answer is whole.
    const cut = ok(parseDns(response.subarray(0, response.length - 5), 1, state('udp')));
    assert.equal(cut.frame.complete, false);
    assert.equal(cut.frame.answers, `A ${capture('udp A').tshark.a}`);
  });

  it('rejects a datagram cut inside its question or header', () => {
    for (const length of [0, 5, 11, 14, 20]) {
      const result = parseDns(response.subarray(0, length), 1, state('udp'));
      assert.equal(result.state, 'invalid', `cut to ${length}`);
    }
  });

  it('rejects a compression pointer to itself, and a two-pointer loop', () => {
    const self = new DnsBuilder().header({ id: 1, flags: 0x0100, qd: 1, an: 0 }).pointer(12).u16(1).u16(1).bytes();
    const r1 = parseDns(self, 0, state('udp'));
    assert.equal(r1.state, 'invalid');
    assert.match((r1 as { reason: string }).reason, /pointer/);

    // Question "a" then a pointer (at 14) to offset 17, which holds a pointer back to 14: a loop.
    const loop = new DnsBuilder().header({ id: 2, flags: 0x8180, qd: 1, an: 0 })
      .u8(1, 0x61).pointer(17).u8(0).pointer(14)
      .bytes();
    const r2 = parseDns(loop, 1, state('udp'));
    assert.equal(r2.state, 'invalid');
    assert.match((r2 as { reason: string }).reason, /pointer/);
  });

  it('follows chained pointers as in RFC 1035 section 4.1.4 (F.ISI.ARPA, FOO.F.ISI.ARPA, ARPA)', () => {
    const b = new DnsBuilder().header({ id: 3, flags: 0x8180, qd: 1, an: 2 });
    b.question('F.ISI.ARPA', 12); // name at offset 12; "ARPA" label at 12 + 2 + 4 = 18
    b.record(12, 12, [3, 0x46, 0x4f, 0x4f, 0xc0, 12]); // PTR FOO + pointer to F.ISI.ARPA
    b.record(12, 5, [0xc0, 18]); // CNAME pointing at the ARPA suffix
    const frame = ok(parseDns(b.bytes(), 1, state('udp'))).frame;
    assert.equal(frame.qname, 'F.ISI.ARPA');
    assert.equal(frame.answers, 'PTR FOO.F.ISI.ARPA., CNAME ARPA.');
  });

  it('rejects a name longer than 255 octets (RFC 1035 section 2.3.4)', () => {
    const long = Array.from({ length: 5 }, () => 'x'.repeat(60)).join('.');
    const msg = new DnsBuilder().header({ id: 4, flags: 0x0100, qd: 1, an: 0 }).question(long, 1).bytes();
    assert.equal(parseDns(msg, 0, state('udp')).state, 'invalid');
  });

  it('reads the extended rcode from OPT (RFC 6891 6.1.3: BADVERS = 16 is upper bits 1, header 0)', () => {
    const b = new DnsBuilder().header({ id: 5, flags: 0x8180, qd: 1, an: 0, ar: 1 }).question('example.test', 1);
    b.u8(0).u16(41).u16(1232).u8(1, 0, 0, 0).u16(0); // OPT: root owner, class = UDP size, TTL = ext-rcode 1
    assert.equal(ok(parseDns(b.bytes(), 1, state('udp'))).frame.rcode, 16);
  });

  it('summarises at most five answers and says how many were left out', () => {
    const b = new DnsBuilder().header({ id: 6, flags: 0x8180, qd: 1, an: 7 }).question('many.test', 1);
    for (let i = 1; i <= 7; i++) b.record(12, 1, [10, 0, 0, i]);
    const frame = ok(parseDns(b.bytes(), 1, state('udp'))).frame;
    assert.equal(frame.answers, 'A 10.0.0.1, A 10.0.0.2, A 10.0.0.3, A 10.0.0.4, A 10.0.0.5, +2 more');
  });

  it('caps the summary at 256 characters', () => {
    const b = new DnsBuilder().header({ id: 7, flags: 0x8180, qd: 1, an: 5 }).question('long.test', 1);
    const label = 'y'.repeat(63);
    for (let i = 0; i < 5; i++) {
      const target = new DnsBuilder().name(`${label}.${label}`).bytes();
      b.record(12, 5, [...target]);
    }
    const frame = ok(parseDns(b.bytes(), 1, state('udp'))).frame;
    assert.equal(frame.answers!.length, 256);
    assert.ok(frame.answers!.endsWith('…'));
  });

  it('accepts an mDNS-style unsolicited answer without a question (RFC 6762 section 6)', () => {
    const b = new DnsBuilder().header({ id: 0, flags: 0x8400, qd: 0, an: 1 });
    b.name('printer.local').u16(1).u16(0x8001).u32(120).u16(4).u8(192, 168, 1, 20);
    const frame = ok(parseDns(b.bytes(), 1, state('udp'))).frame;
    assert.equal(frame.kind, 'response');
    assert.equal(frame.qname, null);
    assert.equal(frame.answers, 'A 192.168.1.20');
    assert.equal(dns.describe(null, frame).request_type, null);
  });
});
