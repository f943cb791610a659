// Bytes in testdata/ were captured from curl 7.88.1 talking to nginx 1.22.1 and a Node 20 http
// server through a recording relay (see testdata/README.md); expected sizes are the file sizes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { http1 } from './spec.ts';
import { MAX_HEADER_BYTES, MAX_HEADER_FIELDS } from './parse.ts';
import type { Http1Frame, Http1State } from './types.ts';
import type { ParseResult, TimedFrame } from '../protocol.ts';
import { DirectionStream } from '../../streams/direction-stream.ts';
import { Counters } from '../../util/counters.ts';
import { CLIENT_TO_SERVER as C2S, SERVER_TO_CLIENT as S2C } from '../../streams/events.ts';
import type { Direction } from '../../streams/events.ts';
import { concatBytes as concat } from '../../util/bytes.ts';

const load = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./testdata/${name}.bin`, import.meta.url)));
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function ok(r: ParseResult<Http1Frame>): { frame: Http1Frame; consumed: number } {
  assert.equal(r.state, 'ok', `expected a frame, got ${JSON.stringify(r)}`);
  return r as { state: 'ok'; frame: Http1Frame; consumed: number };
}

/** Parses a whole buffer the way the stream does (without holes) and lists what came out. */
function parseAll(data: Uint8Array, dir: Direction, state: Http1State): Array<ParseResult<Http1Frame>> {
  const out: Array<ParseResult<Http1Frame>> = [];
  let rest = data;
  while (rest.length > 0) {
    const r = http1.parse(rest, dir, state);
    out.push(r);
    if (r.state !== 'ok' && r.state !== 'ignored') break;
    rest = rest.subarray(Math.min(r.consumed, rest.length));
  }
  return out;
}

/** Runs segments through the real direction stream; returns frames and counters. */
function stream(segments: Uint8Array[], dir: Direction = S2C, state = http1.createState()) {
  const frames: TimedFrame<Http1Frame>[] = [];
  const counters = new Counters();
  const s = new DirectionStream(http1, state, dir, (f) => frames.push(f), counters,
    { datagram: false, maxBuffer: 256 * 1024, midStream: false });
  let t = 1n;
  for (const seg of segments) s.push(seg, seg.length, t++, -1);
  return { frames, counters };
}

describe('http1 requests', () => {
  it('reads the request line and Host of a curl GET', () => {
    const req = load('get.c2s');
    const { frame, consumed } = ok(http1.parse(req, C2S, http1.createState()));
    assert.equal(consumed, 79);
    assert.equal(frame.kind, 'request');
    assert.equal(frame.method, 'GET');
    assert.equal(frame.target, '/');
    assert.equal(frame.host, '127.0.0.1:28390');
    assert.equal(frame.version, '1.1');
    assert.equal(frame.contentLength, -1);
    assert.equal(frame.close, false);
  });

  it('skips a Content-Length body: consumed covers header and body', () => {
    const req = load('post.c2s');
    const { frame, consumed } = ok(http1.parse(req, C2S, http1.createState()));
    assert.equal(frame.method, 'POST');
    assert.equal(frame.contentLength, 18);
    assert.equal(consumed, req.length);
    assert.equal(frame.headerBytes, req.length - 'name=flowscope&x=1'.length);
  });

  it('reports a body larger than the bytes given (truncated capture) as consumed beyond them', () => {
    const req = load('continue.c2s');
    const { consumed } = ok(http1.parse(req.subarray(0, 200), C2S, http1.createState()));
    assert.equal(consumed, req.length);
    assert.ok(consumed > 200);
  });

  it('parses pipelined requests from one buffer in order', () => {
    const results = parseAll(load('keepalive.c2s'), C2S, http1.createState());
    assert.deepEqual(results.map((r) => ok(r).frame.target), ['/', '/missing', '/index.html']);
  });

  it('accepts extension methods shaped like a method and keeps the method as sent', () => {
    const { frame } = ok(http1.parse(bytes('PURGE /cache/x HTTP/1.1\r\nHost: a\r\n\r\n'), C2S, http1.createState()));
    assert.equal(frame.method, 'PURGE');
    const dav = ok(http1.parse(bytes('PROPFIND /dav/ HTTP/1.1\r\nHost: a\r\nDepth: 1\r\n\r\n'), C2S, http1.createState()));
    assert.equal(dav.frame.method, 'PROPFIND');
  });

  it('reads HTTP/1.0 and marks it close unless keep-alive is asked for', () => {
    const { frame } = ok(http1.parse(load('close.c2s'), C2S, http1.createState()));
    assert.equal(frame.version, '1.0');
    assert.equal(frame.close, true);
    const ka = ok(http1.parse(bytes('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n'), C2S, http1.createState()));
    assert.equal(ka.frame.close, false);
  });

  it('truncates long targets to 1024 characters', () => {
    const long = '/' + 'a'.repeat(3000);
    const { frame } = ok(http1.parse(bytes(`GET ${long} HTTP/1.1\r\n\r\n`), C2S, http1.createState()));
    assert.equal(frame.target!.length, 1024);
    assert.ok(frame.target!.startsWith('/aaa'));
    assert.ok(frame.target!.endsWith('…'));
  });

  it('reads trace headers and X-Request-ID but never keeps Authorization or Cookie values', () => {
    const { frame } = ok(http1.parse(load('trace.c2s'), C2S, http1.createState()));
    assert.equal(frame.traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(frame.spanId, 'b7ad6b7169203331');
    assert.equal(frame.xRequestId, 'req-42');
    const text = JSON.stringify(frame);
    assert.ok(!text.includes('s3cr3t'), 'Authorization value leaked');
    assert.ok(!text.includes('topsecret'), 'Cookie value leaked');
  });

  it('matches header names case-insensitively', () => {
    const req = bytes('POST /x HTTP/1.1\r\nhOsT: example.com\r\nCONTENT-LENGTH: 3\r\nX-B3-TRACEID: 80f198ee56343ba864fe8b2a57d3eff7\r\n' +
      'x-b3-spanid: e457b5a2e4d86bd1\r\nX-B3-ParentSpanId: 05e3ac9a4f6e3b90\r\n\r\nabc');
    const { frame, consumed } = ok(http1.parse(req, C2S, http1.createState()));
    assert.equal(frame.host, 'example.com');
    assert.equal(consumed, req.length);
    assert.equal(frame.traceId, '80f198ee56343ba864fe8b2a57d3eff7');
    assert.equal(frame.parentSpanId, '05e3ac9a4f6e3b90');
  });

  it('tolerates obs-fold continuation lines and bare LF line ends (RFC 9112 2.2, 5.2)', () => {
    const folded = bytes('GET /f HTTP/1.1\r\nX-Long: one\r\n two\r\n\tthree\r\nHost: h\r\n\r\n');
    const { frame, consumed } = ok(http1.parse(folded, C2S, http1.createState()));
    assert.equal(frame.host, 'h');
    assert.equal(consumed, folded.length);
    const lf = bytes('GET /lf HTTP/1.1\nHost: h\nContent-Length: 2\n\nok');
    const r = ok(http1.parse(lf, C2S, http1.createState()));
    assert.equal(r.frame.target, '/lf');
    assert.equal(r.consumed, lf.length);
  });

  it('needs more bytes for headers split anywhere before the blank line', () => {
    const req = load('get.c2s');
    for (let cut = 1; cut < req.length; cut++) {
      assert.equal(http1.parse(req.subarray(0, cut), C2S, http1.createState()).state, 'needs-more', `cut at ${cut}`);
    }
  });

  it('rejects conflicting Content-Length and a request Transfer-Encoding that is not chunked', () => {
    const cl = http1.parse(bytes('POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n'), C2S, http1.createState());
    assert.equal(cl.state, 'invalid');
    const list = ok(http1.parse(bytes('POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello'), C2S, http1.createState()));
    assert.equal(list.consumed, 'POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhello'.length);
    const te = http1.parse(bytes('POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n'), C2S, http1.createState());
    assert.equal(te.state, 'invalid');
  });
});

describe('http1 responses', () => {
  it('pairs status, reason and body length of an nginx 200', () => {
    const state = http1.createState();
    ok(http1.parse(load('get.c2s'), C2S, state));
    const resp = load('get.s2c');
    const { frame, consumed } = ok(http1.parse(resp, S2C, state));
    assert.equal(frame.kind, 'response');
    assert.equal(frame.status, 200);
    assert.equal(frame.reason, 'OK');
    assert.equal(frame.contentLength, 42);
    assert.equal(consumed, resp.length);
  });

  it('parses keep-alive responses back to back', () => {
    const state = http1.createState();
    parseAll(load('keepalive.c2s'), C2S, state);
    const results = parseAll(load('keepalive.s2c'), S2C, state);
    assert.deepEqual(results.map((r) => ok(r).frame.status), [200, 404, 200]);
    assert.equal(ok(results[1]!).frame.reason, 'Not Found');
    assert.equal(results.reduce((n, r) => n + ok(r).consumed, 0), load('keepalive.s2c').length);
  });

  it('knows a HEAD response has no body despite its Content-Length', () => {
    const state = http1.createState();
    ok(http1.parse(load('head.c2s'), C2S, state));
    const resp = load('head.s2c');
    const { frame, consumed } = ok(http1.parse(concat(resp, load('get.s2c')), S2C, state));
    assert.equal(frame.contentLength, 42);
    assert.equal(consumed, resp.length);
    assert.equal(state.pending.length, 0);
  });

  it('reads 204 and 304 without a body', () => {
    for (const name of ['empty', 'notmodified']) {
      const state = http1.createState();
      ok(http1.parse(load(`${name}.c2s`), C2S, state));
      const resp = load(`${name}.s2c`);
      const both = parseAll(concat(resp, load('get.s2c')), S2C, state);
      assert.deepEqual(both.map((r) => ok(r).consumed), [resp.length, load('get.s2c').length], name);
    }
  });

  it('treats a response without length as close-delimited', () => {
    const state = http1.createState();
    ok(http1.parse(load('close.c2s'), C2S, state));
    const { frame, consumed } = ok(http1.parse(load('close.s2c'), S2C, state));
    assert.equal(frame.status, 200);
    assert.equal(frame.close, true);
    assert.equal(consumed, Infinity);
  });

  it('ignores 100 Continue and then reads the final response', () => {
    const state = http1.createState();
    ok(http1.parse(load('continue.c2s'), C2S, state));
    const results = parseAll(load('continue.s2c'), S2C, state);
    assert.equal(results[0]!.state, 'ignored');
    assert.equal((results[0] as { consumed: number }).consumed, 'HTTP/1.1 100 Continue\r\n\r\n'.length);
    assert.equal(ok(results[1]!).frame.status, 201);
    assert.equal(results.length, 2);
  });

  it('rejects a malformed status line and garbage with a reason', () => {
    const bad = http1.parse(bytes('HTTP/1.1 2x0 OK\r\n\r\n'), S2C, http1.createState());
    assert.equal(bad.state, 'invalid');
    const garbage = http1.parse(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), C2S, http1.createState());
    assert.equal(garbage.state, 'invalid');
    assert.match((garbage as { reason: string }).reason, /not HTTP\/1/);
  });

  it('rejects a header section over 64 KiB and too many fields', () => {
    const huge = bytes(`GET / HTTP/1.1\r\nX-Big: ${'x'.repeat(MAX_HEADER_BYTES)}\r\n`);
    const r = http1.parse(huge, C2S, http1.createState());
    assert.equal(r.state, 'invalid');
    assert.match((r as { reason: string }).reason, /64|65536/);
    const many = bytes('GET / HTTP/1.1\r\n' + 'X-A: 1\r\n'.repeat(MAX_HEADER_FIELDS + 1) + '\r\n');
    assert.equal(http1.parse(many, C2S, http1.createState()).state, 'invalid');
  });
});

describe('http1 chunked bodies', () => {
  it('emits the frame at the end of the headers and walks chunks and trailers already buffered', () => {
    const state = http1.createState();
    ok(http1.parse(load('trailers.c2s'), C2S, state));
    const resp = load('trailers.s2c');
    const { frame, consumed } = ok(http1.parse(resp, S2C, state));
    assert.equal(frame.chunked, true);
    assert.equal(consumed, resp.length);
    assert.equal(state.body[S2C], 0);
  });

  it('reads a gzip chunked body from nginx split at every byte offset, then the next response', () => {
    const resp = load('gzip.s2c');
    const next = load('get.s2c');
    for (let cut = 1; cut < resp.length; cut++) {
      const state = http1.createState();
      state.pending.push(0, 0);
      const { frames, counters } = stream([resp.subarray(0, cut), concat(resp.subarray(cut), next)], S2C, state);
      assert.deepEqual(frames.map((f) => f.frame.status), [200, 200], `cut at ${cut}`);
      assert.equal(counters.get('http1.parse_errors'), 0, `cut at ${cut}`);
      assert.equal(frames[1]!.size, next.length);
    }
  });

  it('walks the Node trailers response split at every byte offset', () => {
    const resp = load('trailers.s2c');
    const next = load('get.s2c');
    for (let cut = 1; cut < resp.length; cut++) {
      const { frames, counters } = stream([resp.subarray(0, cut), resp.subarray(cut), next]);
      assert.deepEqual(frames.map((f) => f.frame.status), [200, 200], `cut at ${cut}`);
      assert.equal(counters.get('http1.parse_errors'), 0, `cut at ${cut}`);
    }
  });

  it('skips chunk extensions (RFC 9112 7.1.1) and chunk data beyond the bytes given', () => {
    const state = http1.createState();
    const head = bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    const body = bytes('4;name=value;flag\r\nWiki\r\n10\r\n');
    const { consumed } = ok(http1.parse(concat(head, body), S2C, state));
    // The 0x10-byte chunk has not arrived: consumed runs past the buffer over its data and CRLF.
    assert.equal(consumed, head.length + body.length + 16 + 2);
    const tail = http1.parse(bytes('0\r\nExpires: never\r\n\r\n'), S2C, state);
    assert.deepEqual(tail, { state: 'ignored', consumed: '0\r\nExpires: never\r\n\r\n'.length });
    assert.equal(state.body[S2C], 0);
  });

  it('needs more for a cut chunk-size line and is invalid for a non-hex one', () => {
    const state = http1.createState();
    ok(http1.parse(bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'), S2C, state));
    assert.equal(http1.parse(bytes('1f'), S2C, state).state, 'needs-more');
    assert.equal(http1.parse(bytes('zz\r\n'), S2C, state).state, 'invalid');
  });

  it('walks a chunked request body', () => {
    const req = bytes('POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n');
    const results = parseAll(req, C2S, http1.createState());
    assert.deepEqual(results.map((r) => (r.state === 'ok' ? r.frame.method : r.state)), ['POST', 'GET']);
  });
});

describe('http1 upgrades and tunnels', () => {
  it('stops parsing both directions after 101 Switching Protocols', () => {
    const state = http1.createState();
    ok(http1.parse(load('upgrade.c2s'), C2S, state));
    const resp = load('upgrade.s2c');
    const frames = parseAll(resp, S2C, state);
    assert.equal(ok(frames[0]!).frame.status, 101);
    // The WebSocket frame the server sent right after the 101 (0x81 = FIN + text).
    assert.deepEqual(frames[1], { state: 'ignored', consumed: Infinity });
    assert.deepEqual(http1.parse(new Uint8Array([0x81, 0x85, 1, 2, 3, 4, 5]), C2S, state), { state: 'ignored', consumed: Infinity });
    assert.deepEqual(http1.parse(load('get.c2s'), C2S, state), { state: 'ignored', consumed: Infinity });
  });

  it('turns a CONNECT answered 2xx into a tunnel, holding client bytes until the answer', () => {
    const state = http1.createState();
    const c2s = load('connect.c2s');
    const first = ok(http1.parse(c2s, C2S, state));
    assert.equal(first.frame.method, 'CONNECT');
    assert.equal(first.frame.target, '127.0.0.1:28311');
    // What follows CONNECT may be TLS: wait for the proxy's answer before calling it HTTP.
    assert.equal(http1.parse(c2s.subarray(first.consumed), C2S, state).state, 'needs-more');
    const s2c = load('connect.s2c');
    const established = ok(http1.parse(s2c, S2C, state));
    assert.equal(established.frame.status, 200);
    assert.equal(established.consumed, 'HTTP/1.1 200 Connection Established\r\n\r\n'.length);
    assert.deepEqual(http1.parse(c2s.subarray(first.consumed), C2S, state), { state: 'ignored', consumed: Infinity });
    assert.deepEqual(http1.parse(s2c.subarray(established.consumed), S2C, state), { state: 'ignored', consumed: Infinity });
  });

  it('keeps parsing HTTP when a CONNECT is refused', () => {
    const state = http1.createState();
    ok(http1.parse(bytes('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'), C2S, state));
    ok(http1.parse(bytes('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n'), S2C, state));
    const retry = ok(http1.parse(bytes('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'), C2S, state));
    assert.equal(retry.frame.method, 'CONNECT');
  });
});

describe('http1 frame boundaries', () => {
  it('finds a request line after garbage and a status line mid-buffer', () => {
    const state = http1.createState();
    const garbage = new Uint8Array([0x00, 0xff, 0x13, 0x37, 0x42]);
    assert.equal(http1.findFrameBoundary(concat(garbage, load('get.c2s')), C2S, 0, state), garbage.length);
    const body = bytes('<html>x</html>\n');
    assert.equal(http1.findFrameBoundary(concat(body, load('get.s2c')), S2C, 0, state), body.length);
    assert.equal(http1.findFrameBoundary(bytes('just some text\nwith lines\n'), C2S, 0, state), -1);
  });

  it('accepts an extension method only at a line start', () => {
    const state = http1.createState();
    assert.equal(http1.findFrameBoundary(bytes('xPURGE / HTTP/1.1\r\n\r\n'), C2S, 0, state), -1);
    assert.equal(http1.findFrameBoundary(bytes('x\nPURGE / HTTP/1.1\r\n\r\n'), C2S, 0, state), 2);
  });
});
