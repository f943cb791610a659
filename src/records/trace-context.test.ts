import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  emptyTraceHeaders, parseB3Multi, parseB3Single, parseRequestId, parseSw8, parseTraceparent, parseUberTraceId,
  traceContextFrom,
} from './trace-context.ts';

describe('W3C traceparent', () => {
  it('reads the examples of the W3C Trace Context recommendation', () => {
    assert.deepEqual(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), {
      trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331', parent_span_id: null,
    });
    assert.deepEqual(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00'), {
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7', parent_span_id: null,
    });
  });

  it('accepts a future version with extra fields, rejects version ff and a longer version 00', () => {
    assert.equal(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds')?.trace_id,
      '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(parseTraceparent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), null);
    assert.equal(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra'), null);
  });

  it('rejects all-zero ids, upper-case hex, wrong lengths and junk', () => {
    assert.equal(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), null);
    assert.equal(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'), null);
    assert.equal(parseTraceparent('00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01'), null);
    assert.equal(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'), null);
    assert.equal(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g'), null);
    assert.equal(parseTraceparent(''), null);
    assert.equal(parseTraceparent('\u0000'.repeat(60)), null);
  });
});

describe('B3', () => {
  // Examples from the openzipkin/b3-propagation README.
  it('reads the single header with and without sampling and parent', () => {
    assert.deepEqual(parseB3Single('80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90'), {
      trace_id: '80f198ee56343ba864fe8b2a57d3eff7', span_id: 'e457b5a2e4d86bd1', parent_span_id: '05e3ac9a4f6e3b90',
    });
    assert.deepEqual(parseB3Single('80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1'), {
      trace_id: '80f198ee56343ba864fe8b2a57d3eff7', span_id: 'e457b5a2e4d86bd1', parent_span_id: null,
    });
  });

  it('pads a 64-bit trace id to 32 hex digits', () => {
    assert.equal(parseB3Single('a3ce929d0e0e4736-00f067aa0ba902b7-d')?.trace_id, '0000000000000000a3ce929d0e0e4736');
  });

  it('yields null for a sampling-only header and malformed ids', () => {
    assert.equal(parseB3Single('0'), null);
    assert.equal(parseB3Single('d'), null);
    assert.equal(parseB3Single('80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-x'), null);
    assert.equal(parseB3Single('80f198ee56343ba864fe8b2a57d3eff-e457b5a2e4d86bd1'), null);
    assert.equal(parseB3Single('80f198ee56343ba864fe8b2a57d3eff7-0000000000000000'), null);
  });

  it('reads the multi headers', () => {
    assert.deepEqual(parseB3Multi('80f198ee56343ba864fe8b2a57d3eff7', 'e457b5a2e4d86bd1', '05e3ac9a4f6e3b90'), {
      trace_id: '80f198ee56343ba864fe8b2a57d3eff7', span_id: 'e457b5a2e4d86bd1', parent_span_id: '05e3ac9a4f6e3b90',
    });
    assert.equal(parseB3Multi('80f198ee56343ba864fe8b2a57d3eff7', null, null), null);
    assert.equal(parseB3Multi('80f198ee56343ba864fe8b2a57d3eff7', 'e457b5a2e4d86bd1', 'nothex!!nothex!!'), null);
  });
});

describe('Jaeger uber-trace-id', () => {
  it('reads trace:span:parent:flags and zero-pads short hex ids', () => {
    assert.deepEqual(parseUberTraceId('4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7:0:1'), {
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736', span_id: '00f067aa0ba902b7', parent_span_id: null,
    });
    assert.deepEqual(parseUberTraceId('abc123:def:5e3:01'), {
      trace_id: '00000000000000000000000000abc123', span_id: '0000000000000def', parent_span_id: '00000000000005e3',
    });
  });

  it('accepts URL-encoded colons', () => {
    assert.equal(parseUberTraceId('4bf92f3577b34da6%3A00f067aa0ba902b7%3a0%3A1')?.span_id, '00f067aa0ba902b7');
  });

  it('rejects wrong field counts, zero ids and non-hex', () => {
    assert.equal(parseUberTraceId('4bf92f3577b34da6:00f067aa0ba902b7:0'), null);
    assert.equal(parseUberTraceId('0:00f067aa0ba902b7:0:1'), null);
    assert.equal(parseUberTraceId('xyz:00f067aa0ba902b7:0:1'), null);
    assert.equal(parseUberTraceId('4bf92f3577b34da6:00f067aa0ba902b711:0:1'), null);
  });
});

describe('SkyWalking sw8', () => {
  // Fields base64-encoded with coreutils `base64` from known text.
  const traceId = 'YTFiMmMzZDRlNWY2LjEuMTYwMDAwMDAwMDAwMDAwMDE='; // a1b2c3d4e5f6.1.16000000000000001
  const segment = 'ZjBlMWQyYzNiNGE1LjIuMTYwMDAwMDAwMDAwMDAwMDI='; // f0e1d2c3b4a5.2.16000000000000002
  const rest = 'Y2hlY2tvdXQ=-Y2hlY2tvdXQtN2Q5Zg==-L2FwaS9jYXJ0-MTAuMC4wLjU6ODA4MA==';

  it('decodes the trace id and names the span by segment and span id', () => {
    assert.deepEqual(parseSw8(`1-${traceId}-${segment}-3-${rest}`), {
      trace_id: 'a1b2c3d4e5f6.1.16000000000000001',
      span_id: 'f0e1d2c3b4a5.2.16000000000000002-3',
      parent_span_id: null,
    });
  });

  it('rejects bad sample flags, field counts, span ids and base64', () => {
    assert.equal(parseSw8(`2-${traceId}-${segment}-3-${rest}`), null);
    assert.equal(parseSw8(`1-${traceId}-${segment}-3`), null);
    assert.equal(parseSw8(`1-${traceId}-${segment}-x-${rest}`), null);
    assert.equal(parseSw8(`1-not*base64-${segment}-3-${rest}`), null);
    // Base64 of bytes that are not printable text.
    assert.equal(parseSw8(`1-AAEC-${segment}-3-${rest}`), null);
  });
});

describe('X-Request-ID and precedence', () => {
  it('keeps a request id as sent, truncates long ones, rejects control characters', () => {
    assert.equal(parseRequestId(' 7b4c2a90-3f1e-4d6b-9a55-0c2e8f1d9b11 '), '7b4c2a90-3f1e-4d6b-9a55-0c2e8f1d9b11');
    const long = parseRequestId('r'.repeat(500));
    assert.equal(long?.length, 128);
    assert.ok(long?.endsWith('…'));
    assert.equal(parseRequestId('bad\u0001id'), null);
    assert.equal(parseRequestId('   '), null);
  });

  it('prefers traceparent, then falls through invalid headers to the next valid one', () => {
    const h = emptyTraceHeaders();
    h.traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    h.b3 = '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1';
    assert.equal(traceContextFrom(h)?.trace_id, '0af7651916cd43dd8448eb211c80319c');
    h.traceparent = 'garbage';
    assert.equal(traceContextFrom(h)?.trace_id, '80f198ee56343ba864fe8b2a57d3eff7');
    assert.equal(traceContextFrom(emptyTraceHeaders()), null);
  });
});
