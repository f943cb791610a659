import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeDns, dnsStatus } from './describe.ts';
import { parseDns } from './parse.ts';
import type { DnsFrame } from './types.ts';
import { capture, hex } from './fixtures.ts';

function frame(bytes: Uint8Array, dir: 0 | 1): DnsFrame {
  const r = parseDns(bytes, dir, { framing: 'unknown' });
  assert.equal(r.state, 'ok');
  return (r as { frame: DnsFrame }).frame;
}

describe('dns describe', () => {
  it('maps rcodes like DeepFlow: 0 ok, FORMERR and NXDOMAIN client errors, the rest server errors', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 9, 16].map(dnsStatus),
      ['ok', 'client_error', 'server_error', 'client_error', 'server_error', 'server_error', 'server_error', 'server_error']);
  });

  it('describes an NXDOMAIN answer (tshark: "No such name", rcode 3)', () => {
    const c = capture('udp NXDOMAIN');
    const fields = describeDns(frame(hex(c.request), 0), frame(hex(c.response!), 1));
    assert.equal(fields.request_type, 'A');
    assert.equal(fields.request_domain, c.tshark.qname);
    assert.equal(fields.request_resource, c.tshark.qname);
    assert.equal(fields.response_code, c.tshark.rcode);
    assert.equal(fields.response_status, 'client_error');
    assert.equal(fields.response_message, 'NXDOMAIN');
    assert.equal(fields.response_summary, null);
  });

  it('describes REFUSED as a server error, and SERVFAIL too', () => {
    const c = capture('udp REFUSED');
    const refused = hex(c.response!);
    assert.equal(describeDns(null, frame(refused, 1)).response_message, 'REFUSED');
    assert.equal(describeDns(null, frame(refused, 1)).response_status, 'server_error');
    // The same answer with RCODE 2 in the low nibble of byte 3 (tshark: "Server failure").
    const servfail = refused.slice();
    servfail[3] = (servfail[3]! & 0xf0) | 2;
    const fields = describeDns(null, frame(servfail, 1));
    assert.equal(fields.response_code, 2);
    assert.equal(fields.response_status, 'server_error');
    assert.equal(fields.response_message, 'SERVFAIL');
  });

  it('describes an answer with no query seen from the question it echoes', () => {
    const c = capture('udp CNAME chain');
    const fields = describeDns(null, frame(hex(c.response!), 1));
    assert.equal(fields.request_type, 'A');
    assert.equal(fields.request_domain, c.tshark.qname);
    assert.equal(fields.response_status, 'ok');
    assert.equal(fields.response_message, null);
  });

  it('describes an unanswered query with what was asked and an unknown status', () => {
    const c = capture('udp unanswered');
    const fields = describeDns(frame(hex(c.request), 0), null);
    assert.equal(fields.request_domain, c.tshark.qname);
    assert.equal(fields.response_code, null);
    assert.equal(fields.response_status, 'unknown');
  });
});
