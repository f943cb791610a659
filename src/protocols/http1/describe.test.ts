import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { http1 } from './spec.ts';
import type { Http1Frame } from './types.ts';
import { CLIENT_TO_SERVER as C2S, SERVER_TO_CLIENT as S2C } from '../../streams/events.ts';

const load = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./testdata/${name}.bin`, import.meta.url)));
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function exchange(req: Uint8Array, resp: Uint8Array): [Http1Frame, Http1Frame] {
  const state = http1.createState();
  const a = http1.parse(req, C2S, state);
  const b = http1.parse(resp, S2C, state);
  assert.ok(a.state === 'ok' && b.state === 'ok');
  return [a.frame, b.frame];
}

describe('http1 describe', () => {
  it('describes a curl GET answered 200 by nginx', () => {
    const [req, resp] = exchange(load('get.c2s'), load('get.s2c'));
    assert.deepEqual(http1.describe(req, resp), {
      request_type: 'GET', request_domain: '127.0.0.1:28390', request_resource: '/', protocol_version: '1.1',
      response_code: 200, response_status: 'ok', response_message: null, response_summary: null,
      trace_id: null, span_id: null, parent_span_id: null, x_request_id: null,
    });
  });

  it('keeps the reason phrase of errors only', () => {
    const [req, resp] = exchange(load('notfound.c2s'), load('notfound.s2c'));
    const f = http1.describe(req, resp);
    assert.equal(f.response_code, 404);
    assert.equal(f.response_status, 'client_error');
    assert.equal(f.response_message, 'Not Found');
    const [r2, s2] = exchange(load('post.c2s'), load('post.s2c'));
    assert.equal(http1.describe(r2, s2).response_message, null);
  });

  it('classifies 5xx, 3xx and 101', () => {
    const get = load('get.c2s');
    assert.equal(http1.describe(...exchange(get, bytes('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n'))).response_status, 'server_error');
    assert.equal(http1.describe(...exchange(get, bytes('HTTP/1.1 301 Moved Permanently\r\nContent-Length: 0\r\n\r\n'))).response_status, 'ok');
    assert.equal(http1.describe(...exchange(load('upgrade.c2s'), load('upgrade.s2c'))).response_status, 'ok');
  });

  it('takes trace ids from the request and X-Request-ID from the response when the request has none', () => {
    const [req, resp] = exchange(load('trace.c2s'), load('trace.s2c'));
    const f = http1.describe(req, resp);
    assert.equal(f.trace_id, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(f.span_id, 'b7ad6b7169203331');
    assert.equal(f.x_request_id, 'req-42');
    const [r2, s2] = exchange(load('get.c2s'), bytes('HTTP/1.1 200 OK\r\nX-Request-Id: 5f2b9c1e\r\nContent-Length: 0\r\n\r\n'));
    assert.equal(http1.describe(r2, s2).x_request_id, '5f2b9c1e');
  });

  it('handles a missing request or response', () => {
    const [req, resp] = exchange(load('get.c2s'), load('get.s2c'));
    const noResp = http1.describe(req, null);
    assert.equal(noResp.request_type, 'GET');
    assert.equal(noResp.response_code, null);
    assert.equal(noResp.response_status, 'unknown');
    const noReq = http1.describe(null, resp);
    assert.equal(noReq.request_type, null);
    assert.equal(noReq.response_code, 200);
    assert.equal(noReq.protocol_version, '1.1');
  });
});
