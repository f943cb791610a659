import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readCaptureFile } from './reader.ts';
import type { PacketRecord } from './reader.ts';
import { CaptureError } from './errors.ts';
import { concat, ethernet, ipv4, pcapFile, pcapngFile, tcp, ACK, PSH, text } from './capture-builder.ts';
import type { PacketSpec } from './capture-builder.ts';
import { DEMO, DEMO_ANY, requireTools, run, TempDir, tsharkFields } from './test-tools.ts';

interface Seen {
  time: bigint;
  capturedLength: number;
  originalLength: number;
  interfaceId: number;
  linkType: number;
  first: number;
}

async function readAll(file: string, chunkSize?: number): Promise<Seen[]> {
  const seen: Seen[] = [];
  await readCaptureFile(file, (r: PacketRecord) => {
    seen.push({
      time: r.time, capturedLength: r.capturedLength, originalLength: r.originalLength, interfaceId: r.interfaceId,
      linkType: r.linkType, first: r.capturedLength > 0 ? r.buf[r.offset]! : -1,
    });
  }, { chunkSize });
  return seen;
}

/** "1796033972.145338726" -> nanoseconds. */
function epochNs(s: string): bigint {
  const [sec, frac = ''] = s.split('.');
  return BigInt(sec!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
}

/** tshark's view of every packet: time, captured length, wire length, interface. */
function tsharkFrames(file: string): { time: bigint; cap: number; len: number; iface: number }[] {
  return tsharkFields(file, ['frame.time_epoch', 'frame.cap_len', 'frame.len', 'frame.interface_id', 'frame.encap_type'])
    // tshark also lists blocks it does not know as frames, without an encapsulation: not packets.
    .filter(([, , , , encap]) => encap !== undefined && encap !== '')
    .map(([t, c, l, i]) => ({ time: epochNs(t!), cap: Number(c), len: Number(l), iface: Number(i || 0) }));
}

function assertSameAsTshark(ours: Seen[], file: string): void {
  const theirs = tsharkFrames(file);
  assert.equal(ours.length, theirs.length, 'packet count');
  for (let i = 0; i < theirs.length; i++) {
    assert.deepEqual(
      { time: ours[i]!.time, cap: ours[i]!.capturedLength, len: ours[i]!.originalLength, iface: ours[i]!.interfaceId },
      theirs[i],
      `frame ${i + 1}`,
    );
  }
}

test('demo.pcapng: every record matches tshark (time to the nanosecond, lengths, interface)', async (t) => {
  if (!requireTools(t, 'tshark')) return;
  const ours = await readAll(DEMO);
  assert.ok(ours.length > 50);
  assertSameAsTshark(ours, DEMO);
  assert.ok(ours.every((s) => s.linkType === 1), 'loopback captures are written as Ethernet');
});

test('records that straddle chunk boundaries read the same as whole-file reads', async () => {
  const whole = await readAll(DEMO);
  for (const chunkSize of [64, 97, 1000]) {
    assert.deepEqual(await readAll(DEMO, chunkSize), whole, `chunk ${chunkSize}`);
  }
});

test('editcap conversions to pcap (microseconds) and nsecpcap match tshark on the converted files', async (t) => {
  if (!requireTools(t, 'tshark', 'editcap')) return;
  const tmp = new TempDir();
  try {
    for (const format of ['pcap', 'nsecpcap']) {
      const out = tmp.file(`demo.${format}`);
      run('editcap', ['-F', format, DEMO, out]);
      const ours = await readAll(out);
      assertSameAsTshark(ours, out);
      // The magic number decides the unit: microsecond files lose the nanoseconds, nothing else.
      const original = await readAll(DEMO);
      assert.equal(ours.length, original.length);
      const expectRounding = format === 'pcap';
      assert.equal(ours.every((s, i) => s.time === (expectRounding ? (original[i]!.time / 1000n) * 1000n : original[i]!.time)), true);
    }
  } finally {
    tmp.remove();
  }
});

test('demo-any.pcapng: two interfaces (Linux cooked v1 and v2) keep their own link types', async (t) => {
  if (!requireTools(t, 'tshark')) return;
  const ours = await readAll(DEMO_ANY);
  assertSameAsTshark(ours, DEMO_ANY);
  // Wiretap encapsulation numbers: 25 is Linux SLL, 210 is Linux SLL2.
  const encap = tsharkFields(DEMO_ANY, ['frame.encap_type']).map(([e]) => ({ 25: 113, 210: 276 })[Number(e) as 25 | 210]);
  assert.deepEqual(ours.map((s) => s.linkType), encap);
  assert.ok(encap.includes(113) && encap.includes(276));
});

const packetBytes = (n: number): Uint8Array =>
  ethernet(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, payload: tcp({ sport: 40000 + n, dport: 80, seq: n, ack: 1, flags: ACK | PSH, payload: text(`packet ${n}`) }) }));

const syntheticPackets: PacketSpec[] = [
  { time: 1_700_000_000_123_456_789n, data: packetBytes(1) },
  { time: 1_700_000_001_000_000_001n, data: packetBytes(2), originalLength: 1500 },
  { time: 1_700_000_002_999_999_999n, data: packetBytes(3) },
];

test('synthetic pcap in both byte orders and both time units reads like tshark reads it', async (t) => {
  if (!requireTools(t, 'tshark')) return;
  const tmp = new TempDir();
  try {
    for (const littleEndian of [false, true]) {
      for (const nanosecond of [false, true]) {
        const file = tmp.file(`s-${littleEndian}-${nanosecond}.pcap`, pcapFile({ linkType: 1, littleEndian, nanosecond }, syntheticPackets));
        const ours = await readAll(file);
        assertSameAsTshark(ours, file);
        assert.equal(ours[1]!.originalLength, 1500);
        assert.equal(ours[0]!.time, nanosecond ? 1_700_000_000_123_456_789n : 1_700_000_000_123_456_000n);
      }
    }
  } finally {
    tmp.remove();
  }
});

test('synthetic pcapng: sections of both byte orders, several interfaces, if_tsresol/if_tsoffset, SPB, unknown blocks', async (t) => {
  if (!requireTools(t, 'tshark')) return;
  const [a, b, c] = syntheticPackets as [PacketSpec, PacketSpec, PacketSpec];
  const bytes = pcapngFile([
    { type: 'section', littleEndian: false },
    { type: 'interface', iface: { linkType: 1, tsresol: 9 } },
    { type: 'interface', iface: { linkType: 1, tsresol: 0x80 | 20, tsoffset: 1_000n } },
    { type: 'other', blockType: 0x0bad, body: text('custom block to skip') },
    { type: 'epb', packet: a },
    { type: 'epb', packet: { ...b, interfaceId: 1 } },
    { type: 'section', littleEndian: true },
    { type: 'interface', iface: { linkType: 1, tsresol: 3 } },
    { type: 'epb', packet: c },
    { type: 'spb', data: packetBytes(4) },
    { type: 'other', blockType: 5, body: new Uint8Array(16) }, // interface statistics
  ]);
  const tmp = new TempDir();
  try {
    const file = tmp.file('s.pcapng', bytes);
    const ours = await readAll(file);
    // tshark shows no time for simple packet blocks; compare everything else, and the time of the rest.
    const theirs = tsharkFrames(file);
    assert.equal(ours.length, 4);
    assert.equal(theirs.length, 4);
    for (let i = 0; i < 4; i++) {
      assert.equal(ours[i]!.capturedLength, theirs[i]!.cap, `cap ${i}`);
      assert.equal(ours[i]!.originalLength, theirs[i]!.len, `len ${i}`);
      if (i < 3) assert.equal(ours[i]!.time, theirs[i]!.time, `time ${i}`);
    }
    assert.deepEqual(ours.map((s) => s.interfaceId), [0, 1, 0, 0]);
    // Binary resolution 2^-20 cannot hold every nanosecond: tshark and we agree on the rounding.
    assert.notEqual(ours[1]!.time, b.time);
    assert.ok(ours[1]!.time - b.time < 1000n && b.time - ours[1]!.time < 1000n);
    assert.equal(ours[2]!.time, 1_700_000_002_999_000_000n, 'millisecond resolution');
    assert.equal(ours[3]!.time, ours[2]!.time, 'a simple packet block takes the previous time');
  } finally {
    tmp.remove();
  }
});

test('errors name the file and the problem', async () => {
  const tmp = new TempDir();
  try {
    const missing = tmp.file('nope.pcap');
    await assert.rejects(readAll(missing), (e: unknown) => e instanceof CaptureError && e.code === 'not-found' && e.message.includes(missing));
    await assert.rejects(readAll(tmp.path), (e: unknown) => e instanceof CaptureError && e.code === 'unreadable' && /directory/.test(e.message));
    const empty = tmp.file('empty.pcap', new Uint8Array(0));
    await assert.rejects(readAll(empty), (e: unknown) => e instanceof CaptureError && e.code === 'not-a-capture' && /empty/.test(e.message));
    const http = tmp.file('request.txt', text('GET / HTTP/1.1\r\n\r\n'));
    await assert.rejects(readAll(http), (e: unknown) =>
      e instanceof CaptureError && e.code === 'not-a-capture' && e.message.includes('47 45 54 20') && e.message.includes('"GET "') && e.message.includes(http));
    const usb = tmp.file('usb.pcap', pcapFile({ linkType: 189 }, [{ time: 1n, data: new Uint8Array(40) }]));
    await assert.rejects(readAll(usb), (e: unknown) =>
      e instanceof CaptureError && e.code === 'unsupported-link-type' && e.message.includes('USB_LINUX (189)') && e.message.includes(usb));
    const badBlock = pcapngFile([{ type: 'section', littleEndian: true }, { type: 'interface', iface: { linkType: 1 } }]);
    const corrupt = concat(badBlock, Uint8Array.from([6, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    const corruptFile = tmp.file('corrupt.pcapng', corrupt);
    await assert.rejects(readAll(corruptFile), (e: unknown) => e instanceof CaptureError && e.code === 'malformed' && e.offset === badBlock.length);
  } finally {
    tmp.remove();
  }
});

test('a truncated file delivers every whole record, then raises truncated with the offset', async (t) => {
  if (!requireTools(t, 'tshark')) return;
  const tmp = new TempDir();
  try {
    const full = readFileSync(DEMO);
    const cut = tmp.file('cut.pcapng', full.subarray(0, Math.floor(full.length * 0.6)));
    const seen: Seen[] = [];
    let error: unknown;
    try {
      await readCaptureFile(cut, (r) => { seen.push({ time: r.time } as Seen); }, { chunkSize: 1000 });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof CaptureError, 'raises');
    assert.equal(error.code, 'truncated');
    assert.ok(error.message.includes(cut) && error.message.includes(`byte ${error.offset}`));
    // tshark also lists the whole records of a cut file (and complains about the rest).
    const expected = run('sh', ['-c', `tshark -r '${cut}' -T fields -e frame.number 2>/dev/null | wc -l`]).trim();
    assert.equal(seen.length, Number(expected));
    assert.ok(seen.length > 10);
  } finally {
    tmp.remove();
  }
});

test('a pcapng interface of an unsupported link type is skipped and counted; only-unsupported is an error', async () => {
  const tmp = new TempDir();
  try {
    const mixed = tmp.file('mixed.pcapng', pcapngFile([
      { type: 'section', littleEndian: true },
      { type: 'interface', iface: { linkType: 189 } },
      { type: 'interface', iface: { linkType: 1 } },
      { type: 'epb', packet: { time: 1_000_000n, data: new Uint8Array(48), interfaceId: 0 } },
      { type: 'epb', packet: { time: 2_000_000n, data: packetBytes(1), interfaceId: 1 } },
    ]));
    const seen: number[] = [];
    const summary = await readCaptureFile(mixed, (r) => { seen.push(r.interfaceId); });
    assert.deepEqual(seen, [1]);
    assert.equal(summary.unsupportedLinkTypePackets, 1);
    assert.equal(summary.packets, 2);

    const only = tmp.file('only.pcapng', pcapngFile([
      { type: 'section', littleEndian: true },
      { type: 'interface', iface: { linkType: 189 } },
      { type: 'epb', packet: { time: 1_000_000n, data: new Uint8Array(48) } },
    ]));
    await assert.rejects(readCaptureFile(only, () => undefined), (e: unknown) =>
      e instanceof CaptureError && e.code === 'unsupported-link-type' && e.message.includes('USB_LINUX (189)'));
  } finally {
    tmp.remove();
  }
});

test('random bytes after a valid header never throw anything but CaptureError', async () => {
  const tmp = new TempDir();
  try {
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const headers = [
      pcapFile({ linkType: 1 }, []),
      pcapFile({ linkType: 1, littleEndian: false, nanosecond: true }, []),
      pcapngFile([{ type: 'section', littleEndian: true }, { type: 'interface', iface: { linkType: 1 } }]),
    ];
    for (let i = 0; i < 300; i++) {
      const noise = Uint8Array.from({ length: rand() * 4 }, rand);
      const file = tmp.file(`f${i}`, concat(headers[i % 3]!, noise));
      try {
        await readCaptureFile(file, () => undefined, { chunkSize: 64 });
      } catch (e) {
        assert.ok(e instanceof CaptureError, `file ${i}: ${String(e)}`);
      }
    }
  } finally {
    tmp.remove();
  }
});
