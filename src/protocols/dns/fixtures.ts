/**
 * Real DNS exchanges for tests: dig 9.18.49 (Debian 12) querying dnsmasq 2.90 on 127.0.0.1:5399,
 * captured with dumpcap on loopback. Payload bytes (`udp.payload` / `tcp.payload`, TCP including
 * the 2-byte length prefix) and the `tshark` fields are what tshark 4.0.17 extracted and decoded:
 * they are the independent reference the tests compare against.
 */

export interface CapturedDnsExchange {
  name: string;
  transport: 'udp' | 'tcp';
  id: number;
  /** tshark's decoding: dns.qry.name, dns.qry.type, dns.flags.rcode, dns.count.answers, dns.resp.type, ... */
  tshark: {
    qname: string; qtype: number; rcode: number | null; answerCount: number | null; rrTypes: string;
    a: string; aaaa: string; cname: string; mx: string; txt: string; srv: string; ptr: string;
  };
  /** Hex of the payload the client sent. */
  request: string;
  /** Hex of the payload the server sent back, or null when it never answered. */
  response: string | null;
}

export const DNS_CAPTURES: readonly CapturedDnsExchange[] = [
  {
    name: 'udp A',
    transport: 'udp',
    id: 0x9cbb,
    tshark: { qname: 'a.example.test', qtype: 1, rcode: 0, answerCount: 1, rrTypes: '1,41', a: '1.2.3.4', aaaa: '', cname: '', mx: '', txt: '', srv: '', ptr: '' },
    request: '9cbb012000010000000000010161076578616d706c650474657374000001000100002904d000000000000c000a00089a18a89c904dfff2',
    response: '9cbb858000010001000000010161076578616d706c6504746573740000010001c00c000100010000000000040102030400002904d0000000000000',
  },
  {
    name: 'udp CNAME chain',
    transport: 'udp',
    id: 0xda4d,
    tshark: { qname: 'www.example.test', qtype: 1, rcode: 0, answerCount: 2, rrTypes: '5,1,41', a: '10.0.0.1', aaaa: '', cname: 'host.example.test', mx: '', txt: '', srv: '', ptr: '' },
    request: 'da4d0120000100000000000103777777076578616d706c650474657374000001000100002904d000000000000c000a0008f92f8010dc7f91f4',
    response: 'da4d8580000100020000000103777777076578616d706c6504746573740000010001c00c0005000100000000001304686f7374076578616d706c65047465737400c02e000100010000000000040a00000100002904d0000000000000',
  },
  {
    name: 'udp AAAA',
    transport: 'udp',
    id: 0x09ff,
    tshark: { qname: 'host.example.test', qtype: 28, rcode: 0, answerCount: 1, rrTypes: '28,41', a: '', aaaa: '2001:db8::1', cname: '', mx: '', txt: '', srv: '', ptr: '' },
    request: '09ff0120000100000000000104686f7374076578616d706c65047465737400001c000100002904d000000000000c000a0008f2a650f85cae4268',
    response: '09ff8580000100010000000104686f7374076578616d706c65047465737400001c0001c00c001c000100000000001020010db800000000000000000000000100002904d0000000000000',
  },
  {
    name: 'udp NXDOMAIN',
    transport: 'udp',
    id: 0xa033,
    tshark: { qname: 'nope.example.test', qtype: 1, rcode: 3, answerCount: 0, rrTypes: '41', a: '', aaaa: '', cname: '', mx: '', txt: '', srv: '', ptr: '' },
    request: 'a03301200001000000000001046e6f7065076578616d706c650474657374000001000100002904d000000000000c000a0008147d0381957ee716',
    response: 'a03381830001000000000001046e6f7065076578616d706c650474657374000001000100002904d0000000000000',
  },
  {
    name: 'udp MX',
    transport: 'udp',
    id: 0x073b,
    tshark: { qname: 'example.test', qtype: 15, rcode: 0, answerCount: 1, rrTypes: '15,41', a: '', aaaa: '', cname: '', mx: 'mail.example.test', txt: '', srv: '', ptr: '' },
    request: '073b01200001000000000001076578616d706c65047465737400000f000100002904d000000000000c000a0008c5281f9017bef542',
    response: '073b85800001000100000001076578616d706c65047465737400000f0001c00c000f0001000000000015000a046d61696c076578616d706c6504746573740000002904d0000000000000',
  },
  {
    name: 'udp TXT',
    transport: 'udp',
    id: 0xc220,
    tshark: { qname: 'example.test', qtype: 16, rcode: 0, answerCount: 1, rrTypes: '16,41', a: '', aaaa: '', cname: '', mx: '', txt: 'v=spf1 -all,second string', srv: '', ptr: '' },
    request: 'c22001200001000000000001076578616d706c650474657374000010000100002904d000000000000c000a0008486bba2ea53232f9',
    response: 'c22085800001000100000001076578616d706c6504746573740000100001c00c0010000100000000001a0b763d73706631202d616c6c0d7365636f6e6420737472696e6700002904d0000000000000',
  },
  {
    name: 'udp SRV',
    transport: 'udp',
    id: 0xd5b1,
    tshark: { qname: '_sip._tcp.example.test', qtype: 33, rcode: 0, answerCount: 1, rrTypes: '33,41', a: '', aaaa: '', cname: '', mx: '', txt: '', srv: 'sip.example.test', ptr: '' },
    request: 'd5b101200001000000000001045f736970045f746370076578616d706c650474657374000021000100002904d000000000000c000a00080b81b7ff0d15e07f',
    response: 'd5b185800001000100000001045f736970045f746370076578616d706c6504746573740000210001c00c00210001000000000018000a001413c403736970076578616d706c6504746573740000002904d0000000000000',
  },
  {
    name: 'udp PTR',
    transport: 'udp',
    id: 0xf95e,
    tshark: { qname: '1.0.0.10.in-addr.arpa', qtype: 12, rcode: 0, answerCount: 1, rrTypes: '12,41', a: '', aaaa: '', cname: '', mx: '', txt: '', srv: '', ptr: 'host.example.test' },
    request: 'f95e0120000100000000000101310130013002313007696e2d61646472046172706100000c000100002904d000000000000c000a00087b4f3159d4688465',
    response: 'f95e8580000100010000000101310130013002313007696e2d61646472046172706100000c0001c00c000c000100000000001304686f7374076578616d706c6504746573740000002904d0000000000000',
  },
  {
    name: 'udp unanswered',
    transport: 'udp',
    id: 0xd7eb,
    tshark: { qname: 'x.fail.test', qtype: 1, rcode: null, answerCount: null, rrTypes: '', a: '', aaaa: '', cname: '', mx: '', txt: '', srv: '', ptr: '' },
    request: 'd7eb012000010000000000010178046661696c0474657374000001000100002904d000000000000c000a00087169cb686e8f1df6',
    response: null,
  },
  {
    name: 'tcp CNAME chain',
    transport: 'tcp',
    id: 0x36d5,
    tshark: { qname: 'www.example.test', qtype: 1, rcode: 0, answerCount: 2, rrTypes: '5,1,41', a: '10.0.0.1', aaaa: '', cname: 'host.example.test', mx: '', txt: '', srv: '', ptr: '' },
    request: '003936d50120000100000000000103777777076578616d706c650474657374000001000100002904d000000000000c000a0008617da504ea3737d1',
    response: '005c36d58580000100020000000103777777076578616d706c6504746573740000010001c00c0005000100000000001304686f7374076578616d706c65047465737400c02e000100010000000000040a00000100002904d0000000000000',
  },
  {
    name: 'tcp NXDOMAIN',
    transport: 'tcp',
    id: 0x99e3,
    tshark: { qname: 'nope.example.test', qtype: 1, rcode: 3, answerCount: 0, rrTypes: '41', a: '', aaaa: '', cname: '', mx: '', txt: '', srv: '', ptr: '' },
    request: '003a99e301200001000000000001046e6f7065076578616d706c650474657374000001000100002904d000000000000c000a0008d9fbce45e43de80a',
    response: '002e99e381830001000000000001046e6f7065076578616d706c650474657374000001000100002904d0000000000000',
  },
  {
    name: 'tcp MX',
    transport: 'tcp',
    id: 0xf397,
    tshark: { qname: 'example.test', qtype: 15, rcode: 0, answerCount: 1, rrTypes: '15,41', a: '', aaaa: '', cname: '', mx: 'mail.example.test', txt: '', srv: '', ptr: '' },
    request: '0035f39701200001000000000001076578616d706c65047465737400000f000100002904d000000000000c000a0008bd4b85d4664c6abc',
    response: '004af39785800001000100000001076578616d706c65047465737400000f0001c00c000f0001000000000015000a046d61696c076578616d706c6504746573740000002904d0000000000000',
  },
  {
    name: 'tcp keepopen A',
    transport: 'tcp',
    id: 0xb4d5,
    tshark: { qname: 'a.example.test', qtype: 1, rcode: 0, answerCount: 1, rrTypes: '1,41', a: '1.2.3.4', aaaa: '', cname: '', mx: '', txt: '', srv: '', ptr: '' },
    request: '0037b4d5012000010000000000010161076578616d706c650474657374000001000100002904d000000000000c000a00080b4cf4a24c5f1ceb',
    response: '003bb4d5858000010001000000010161076578616d706c6504746573740000010001c00c000100010000000000040102030400002904d0000000000000',
  },
  {
    name: 'tcp keepopen AAAA',
    transport: 'tcp',
    id: 0xc267,
    tshark: { qname: 'host.example.test', qtype: 28, rcode: 0, answerCount: 1, rrTypes: '28,41', a: '', aaaa: '2001:db8::1', cname: '', mx: '', txt: '', srv: '', ptr: '' },
    request: '003ac2670120000100000000000104686f7374076578616d706c65047465737400001c000100002904d000000000000c000a00080b4cf4a24c5f1ceb',
    response: '004ac2678580000100010000000104686f7374076578616d706c65047465737400001c0001c00c001c000100000000001020010db800000000000000000000000100002904d0000000000000',
  },
  {
    name: 'tcp TXT',
    transport: 'tcp',
    id: 0x3f24,
    tshark: { qname: 'example.test', qtype: 16, rcode: 0, answerCount: 1, rrTypes: '16,41', a: '', aaaa: '', cname: '', mx: '', txt: 'v=spf1 -all,second string', srv: '', ptr: '' },
    request: '00353f2401200001000000000001076578616d706c650474657374000010000100002904d000000000000c000a0008cfa30fb9c9e6bbe4',
    response: '004f3f2485800001000100000001076578616d706c6504746573740000100001c00c0010000100000000001a0b763d73706631202d616c6c0d7365636f6e6420737472696e6700002904d0000000000000',
  },
  {
    name: 'udp REFUSED',
    transport: 'udp',
    id: 0xf788,
    tshark: { qname: 'other.test', qtype: 1, rcode: 5, answerCount: 0, rrTypes: '41', a: '', aaaa: '', cname: '', mx: '', txt: '', srv: '', ptr: '' },
    request: 'f78801200001000000000001056f746865720474657374000001000100002904d000000000000c000a000893f6740d8a2ed931',
    response: 'f78881850001000000000001056f746865720474657374000001000100002904d0000000000006000f0002000e',
  },
  {
    name: 'udp EDNS version 1',
    transport: 'udp',
    id: 0x41ba,
    tshark: { qname: 'a.example.test', qtype: 1, rcode: 0, answerCount: 1, rrTypes: '1,41', a: '1.2.3.4', aaaa: '', cname: '', mx: '', txt: '', srv: '', ptr: '' },
    request: '41ba012000010000000000010161076578616d706c650474657374000001000100002904d000010000000c000a000853b060d5e75ead83',
    response: '41ba858000010001000000010161076578616d706c6504746573740000010001c00c000100010000000000040102030400002904d0000000000000',
  },
  {
    name: 'udp non-printable label',
    transport: 'udp',
    id: 0xbd62,
    tshark: { qname: 'a\\001b.example.test', qtype: 1, rcode: 3, answerCount: 0, rrTypes: '41', a: '', aaaa: '', cname: '', mx: '', txt: '', srv: '', ptr: '' },
    request: 'bd620120000100000000000103610162076578616d706c650474657374000001000100002904d000000000000c000a000833a18de6654f352e',
    response: 'bd628183000100000000000103610162076578616d706c650474657374000001000100002904d0000000000000',
  },
  {
    name: 'udp no EDNS',
    transport: 'udp',
    id: 0x52d5,
    tshark: { qname: 'a.example.test', qtype: 1, rcode: 0, answerCount: 1, rrTypes: '1', a: '1.2.3.4', aaaa: '', cname: '', mx: '', txt: '', srv: '', ptr: '' },
    request: '52d5010000010000000000000161076578616d706c6504746573740000010001',
    response: '52d5858000010001000000000161076578616d706c6504746573740000010001c00c0001000100000000000401020304',
  },
  {
    name: 'tcp REFUSED',
    transport: 'tcp',
    id: 0x6721,
    tshark: { qname: 'other.test', qtype: 1, rcode: 5, answerCount: 0, rrTypes: '41', a: '', aaaa: '', cname: '', mx: '', txt: '', srv: '', ptr: '' },
    request: '0033672101200001000000000001056f746865720474657374000001000100002904d000000000000c000a00084d3379c7a0a555a5',
    response: '002d672181850001000000000001056f746865720474657374000001000100002904d0000000000006000f0002000e',
  },
];

export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'hex'));
}

export function capture(name: string): CapturedDnsExchange {
  const found = DNS_CAPTURES.find((c) => c.name === name);
  if (!found) throw new Error(`no capture named ${name}`);
  return found;
}
