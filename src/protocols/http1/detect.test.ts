import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { http1 } from './spec.ts';
import type { DetectContext } from '../protocol.ts';

const load = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./testdata/${name}.bin`, import.meta.url)));
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const ctx: DetectContext = { transport: 'tcp', dir: 0, srcPort: 40000, dstPort: 12345 };

describe('http1 detect', () => {
  it('is confident on a whole request line or status line', () => {
    assert.ok(http1.detect(load('get.c2s'), ctx) >= 0.9);
    assert.ok(http1.detect(load('connect.c2s'), ctx) >= 0.9);
    assert.ok(http1.detect(load('get.s2c'), { ...ctx, dir: 1 }) >= 0.9);
    assert.ok(http1.detect(bytes('HTTP/1.0 404'), ctx) >= 0.9);
  });

  it('is fairly confident on a registered method and space, the line cut short', () => {
    const c = http1.detect(bytes('GET /very/long/pa'), ctx);
    assert.ok(c >= 0.5 && c < 0.95, String(c));
  });

  it('gives a method prefix a low score that a port hint can lift over the threshold', () => {
    const c = http1.detect(bytes('G'), ctx);
    assert.ok(c > 0 && c < 0.5 && c + 0.2 >= 0.5, String(c));
    assert.ok(http1.ports.includes(80));
  });

  it('says 0 for other protocols', () => {
    // Redis inline command, RESP array, TLS ClientHello, HTTP/2 preface, DNS-ish binary.
    assert.equal(http1.detect(bytes('GET key\r\n'), ctx), 0);
    assert.equal(http1.detect(bytes('*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'), ctx), 0);
    assert.equal(http1.detect(new Uint8Array([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01]), ctx), 0);
    assert.equal(http1.detect(bytes('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), ctx), 0);
    assert.equal(http1.detect(new Uint8Array([0x12, 0x34, 0x01, 0x00, 0x00, 0x01]), ctx), 0);
    assert.equal(http1.detect(bytes('get / HTTP/1.1\r\n'), ctx), 0);
    assert.equal(http1.detect(new Uint8Array(0), ctx), 0);
  });
});
