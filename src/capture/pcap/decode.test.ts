import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressText, Decode, DecodedPacket, decodePacket, ipv6Text, PROTO_TCP } from './decode.ts';
import { readCaptureFile } from './reader.ts';
import {
  ACK, concat, ethernet, ipv4, ipv6, ipv6Bytes, nullHeader, pcapngFile, PSH, sll, sll2, SYN, tcp, text, udp,
} from './capture-builder.ts';
import type { PcapngBlock } from './capture-builder.ts';
import { requireTools, TempDir, tsharkFields } from './test-tools.ts';

const V4 = 0x0800;
const V6 = 0x86dd;
const body = (n: number): Uint8Array => text('x'.repeat(n));
const tcp4 = (payload: Uint8Array, seq = 1000): Uint8Array =>
  ipv4({ src: '192.168.1.10', dst: '10.1.2.3', protocol: 6, payload: tcp({ sport: 51000, dport: 8080, seq, ack: 77, flags: ACK | PSH, payload }) });
const tcp6 = (payload: Uint8Array, extensions: Parameters<typeof ipv6>[4] = []): Uint8Array =>
  ipv6('2001:db8::10', 'fe80::1:0:0:2', 6, tcp({ sport: 443, dport: 60001, seq: 0xfffffff0, ack: 5, flags: ACK, payload }), extensions);
const udp4 = (payload: Uint8Array): Uint8Array => ipv4({ src: '127.0.0.1', dst: '127.0.0.53', protocol: 17, payload: udp(40001, 53, payload) });
const udp6 = (payload: Uint8Array): Uint8Array => ipv6('::1', '::2', 17, udp(5353, 5353, payload));

interface Case {
  name: string;
  linkType: number;
  data: Uint8Array;
  originalLength?: number;
}

/** Every link layer, IP option and oddity the decoder handles, one packet each. */
function cases(): Case[] {
  const fragPayload = udp(40002, 53, body(64));
  return [
    { name: 'ethernet ipv4 tcp', linkType: 1, data: ethernet(V4, tcp4(body(30))) },
    { name: 'ethernet 802.1Q ipv4 tcp', linkType: 1, data: ethernet(V4, tcp4(body(31)), [{ tpid: 0x8100, vid: 100 }]) },
    { name: 'ethernet 802.1ad+802.1Q ipv6 tcp', linkType: 1, data: ethernet(V6, tcp6(body(32)), [{ tpid: 0x88a8, vid: 200 }, { tpid: 0x8100, vid: 100 }]) },
    { name: 'ethernet padded to 60 bytes', linkType: 1, data: ethernet(V4, Uint8Array.from([...tcp4(new Uint8Array(0)), 0, 0, 0, 0, 0, 0])) },
    { name: 'ethernet arp', linkType: 1, data: ethernet(0x0806, new Uint8Array(28)) },
    { name: 'ethernet pppoe ipv4 udp', linkType: 1, data: ethernet(0x8864, concat(Uint8Array.from([0x11, 0, 0, 1, 0, 2 + 48, 0, 0x21]), udp4(body(20)))) },
    { name: 'ethernet mpls two labels ipv6 tcp', linkType: 1, data: ethernet(0x8847, concat(Uint8Array.from([0, 1, 0, 64, 0, 2, 1, 64]), tcp6(body(41)))) },
    { name: 'sll ipv4 udp', linkType: 113, data: sll(V4, udp4(body(20))) },
    { name: 'sll2 ipv6 udp', linkType: 276, data: sll2(V6, udp6(body(21))) },
    { name: 'null little-endian AF_INET', linkType: 0, data: nullHeader(2, tcp4(body(33)), true) },
    { name: 'null big-endian AF_INET6 (BSD 24)', linkType: 0, data: nullHeader(24, tcp6(body(34)), false) },
    { name: 'null little-endian AF_INET6 (macOS 30)', linkType: 0, data: nullHeader(30, tcp6(body(35)), true) },
    { name: 'loop AF_INET', linkType: 108, data: nullHeader(2, tcp4(body(36)), false) },
    { name: 'raw 101 ipv4', linkType: 101, data: tcp4(body(37)) },
    { name: 'raw 101 ipv6', linkType: 101, data: tcp6(body(38)) },
    { name: 'raw 12 ipv4', linkType: 12, data: udp4(body(22)) },
    { name: 'ipv4 link type 228', linkType: 228, data: tcp4(body(39)) },
    { name: 'ipv6 link type 229', linkType: 229, data: udp6(body(23)) },
    { name: 'ipv6 hop-by-hop, routing, destination options', linkType: 101, data: tcp6(body(40), [{ type: 0 }, { type: 43 }, { type: 60 }]) },
    { name: 'ipv6 first fragment', linkType: 101, data: ipv6('2001:db8::1', '2001:db8::2', 17, fragPayload.subarray(0, 48), [{ type: 44, moreFragments: true }]) },
    { name: 'ipv6 later fragment', linkType: 101, data: ipv6('2001:db8::1', '2001:db8::2', 17, fragPayload.subarray(48), [{ type: 44, fragmentOffset: 6 }]) },
    { name: 'ipv4 first fragment', linkType: 101, data: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload: fragPayload.subarray(0, 48), moreFragments: true, id: 7 }) },
    { name: 'ipv4 later fragment', linkType: 101, data: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload: fragPayload.subarray(48), fragmentOffset: 6, id: 7 }) },
    { name: 'ipv4 icmp', linkType: 101, data: ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 1, payload: new Uint8Array(8) }) },
    { name: 'snap length cut the payload', linkType: 1, data: ethernet(V4, tcp4(body(1000))).subarray(0, 96), originalLength: 14 + 20 + 20 + 1000 },
    { name: 'snap length cut the tcp header', linkType: 1, data: ethernet(V4, tcp4(body(10))).subarray(0, 40), originalLength: 14 + 20 + 20 + 10 },
  ];
}

interface Decoded {
  status: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  length: number;
  captured: number;
  seq: number;
}

async function decodeFile(file: string): Promise<Decoded[]> {
  const out: Decoded[] = [];
  const p = new DecodedPacket();
  await readCaptureFile(file, (r) => {
    const status = decodePacket(r.linkType, r.view, r.offset, r.capturedLength, r.originalLength, p);
    out.push(status === Decode.OK
      ? { status, src: addressText(p, 0), dst: addressText(p, 1), sport: p.srcPort, dport: p.dstPort, length: p.payloadLength, captured: p.payloadCaptured, seq: p.protocol === PROTO_TCP ? p.seq : -1 }
      : { status, src: '', dst: '', sport: 0, dport: 0, length: 0, captured: 0, seq: -1 });
  });
  return out;
}

test('every link layer and IP variant decodes as tshark decodes the same bytes', async (t) => {
  if (!requireTools(t, 'tshark')) return;
  const all = cases();
  // One pcapng, one interface per packet, so each packet keeps its own link type.
  const blocks: PcapngBlock[] = [{ type: 'section', littleEndian: true }];
  all.forEach((c) => blocks.push({ type: 'interface', iface: { linkType: c.linkType, tsresol: 9 } }));
  all.forEach((c, i) => blocks.push({ type: 'epb', packet: { time: BigInt(i + 1) * 1_000_000n, data: c.data, originalLength: c.originalLength, interfaceId: i } }));
  const tmp = new TempDir();
  try {
    const file = tmp.file('variants.pcapng', pcapngFile(blocks));
    const ours = await decodeFile(file);
    const rows = tsharkFields(file, [
      'ip.src', 'ipv6.src', 'ip.dst', 'ipv6.dst', 'tcp.srcport', 'udp.srcport', 'tcp.dstport', 'udp.dstport', 'tcp.len', 'udp.length', 'tcp.seq_raw',
    ], ['-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE']);
    assert.equal(rows.length, all.length);
    rows.forEach((row, i) => {
      const [ip4s, ip6s, ip4d, ip6d, tsp, usp, tdp, udp_, tlen, ulen, seq] = row.map((v) => v ?? '');
      const name = all[i]!.name;
      const ours_ = ours[i]!;
      const sport = tsp || usp;
      if (name === 'snap length cut the tcp header') {
        // tshark shows the ports of the partial header; without sequence numbers we drop the packet.
        assert.equal(sport, '51000');
        assert.equal(ours_.status, Decode.TRUNCATED);
        return;
      }
      if (!sport) {
        assert.notEqual(ours_.status, Decode.OK, `${name}: tshark found no transport header`);
        return;
      }
      assert.equal(ours_.status, Decode.OK, `${name}: status`);
      assert.equal(ours_.src, ip4s || ip6s, `${name}: src`);
      assert.equal(ours_.dst, ip4d || ip6d, `${name}: dst`);
      assert.equal(ours_.sport, Number(sport), `${name}: sport`);
      assert.equal(ours_.dport, Number(tdp || udp_), `${name}: dport`);
      assert.equal(ours_.length, tlen ? Number(tlen) : Number(ulen) - 8, `${name}: payload length`);
      if (seq) assert.equal(ours_.seq, Number(seq), `${name}: seq`);
    });
    // What tshark cannot tell us directly: how much of the payload the capture holds.
    const byName = new Map(all.map((c, i) => [c.name, ours[i]!]));
    assert.equal(byName.get('snap length cut the payload')!.captured, 96 - 54);
    assert.equal(byName.get('snap length cut the payload')!.length, 1000);
    assert.equal(byName.get('ethernet padded to 60 bytes')!.captured, 0);
    assert.equal(byName.get('ipv6 first fragment')!.captured, 40, 'only the bytes of the first fragment');
    assert.equal(byName.get('ipv6 first fragment')!.length, 64, 'the whole datagram, from the UDP length');
    assert.equal(byName.get('ipv4 later fragment')!.status, Decode.FRAGMENT);
    assert.equal(byName.get('ethernet arp')!.status, Decode.NON_IP);
    assert.equal(byName.get('ipv4 icmp')!.status, Decode.OTHER_TRANSPORT);
  } finally {
    tmp.remove();
  }
});

test('IPv6 text follows RFC 5952, as the WHATWG URL parser writes it', () => {
  const samples = [
    '2001:db8::1', '::1', '::', 'fe80::1:0:0:2', '2001:db8:0:0:1:0:0:1', '2001:0:0:1::1', '1:2:3:4:5:6:7:8',
    '2001:db8::', 'ff02::1:ff00:1', '0:0:1::', '1::2:0:0:0:3',
  ];
  for (const s of samples) {
    const b = ipv6Bytes(s);
    const v = new DataView(b.buffer);
    const ours = ipv6Text(v.getUint32(0), v.getUint32(4), v.getUint32(8), v.getUint32(12));
    assert.equal(ours, new URL(`http://[${s}]/`).hostname.slice(1, -1), s);
  }
});

test('random and mutated packets never make the decoder throw', () => {
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const base = cases();
  const p = new DecodedPacket();
  const linkTypes = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 999];
  let ok = 0;
  for (let i = 0; i < 50_000; i++) {
    const c = base[i % base.length]!;
    const data = Uint8Array.from(c.data);
    for (let m = rand(6); m >= 0; m--) data[rand(data.length)] = rand(256);
    const len = rand(data.length + 1);
    // The packet sits inside a larger chunk, as in the reader: decoding must stay within its bounds.
    const chunk = new Uint8Array(len + 16);
    chunk.set(data.subarray(0, len), 8);
    const lt = rand(4) === 0 ? linkTypes[rand(linkTypes.length)]! : c.linkType;
    const status = decodePacket(lt, new DataView(chunk.buffer), 8, len, rand(3000), p);
    if (status === Decode.OK) {
      ok++;
      assert.ok(p.payloadOffset >= 8 && p.payloadOffset + p.payloadCaptured <= 8 + len, 'payload within the packet');
      assert.ok(p.payloadCaptured <= p.payloadLength && p.payloadLength <= 65535);
    }
  }
  assert.ok(ok > 1000, 'the mutations leave many packets decodable');
});

test('a SYN decodes its flags and sequence number', () => {
  const data = ethernet(V4, ipv4({ src: '1.2.3.4', dst: '5.6.7.8', protocol: 6, payload: tcp({ sport: 1, dport: 2, seq: 0xdeadbeef, flags: SYN }) }));
  const p = new DecodedPacket();
  assert.equal(decodePacket(1, new DataView(data.buffer), 0, data.length, data.length, p), Decode.OK);
  assert.equal(p.seq, 0xdeadbeef);
  assert.equal(p.flags, SYN);
  assert.equal(p.payloadLength, 0);
});
