import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redis } from './spec.ts';
import { connection, latin1 } from './fixtures.ts';
import type { CapturedSegment } from './fixtures.ts';
import { parseAll, replay } from './testing.ts';

describe('redis pub/sub and MONITOR', () => {
  it('pairs SUBSCRIBE to three channels with its three confirmations, and counts messages apart', () => {
    // redis-cli printed three subscribe confirmations, then "message ch1 hello" and "message ch2 world".
    const { records, counters } = replay(connection('SUBSCRIBE three channels').segments);
    assert.deepEqual(records.map((r) => [r.request_type, r.request_resource, r.response_status]), [
      ['SUBSCRIBE', 'ch1 ch2 ch3', 'ok'],
    ]);
    assert.equal(counters['redis.messages'], 2);
    assert.equal(counters['redis.responses_without_request'], undefined);
  });

  it('marks the first confirmation with the two still to come', () => {
    const state = redis.createState();
    parseAll(latin1(connection('SUBSCRIBE three channels').segments[0]!.bytes), 0, state);
    const replies = parseAll(latin1(connection('SUBSCRIBE three channels').segments[1]!.bytes), 1, state);
    assert.deepEqual(replies.map((r) => r.state === 'ok' && [r.frame.kind, r.frame.expectMore]), [
      ['response', 2], ['response', undefined], ['response', undefined],
    ]);
    assert.equal(state.channels, 3); // the third confirmation's count, ":3"
  });

  it('goes on pairing after PING in subscribed mode and UNSUBSCRIBE from all', () => {
    const { records, counters } = replay(connection('subscribe, ping, unsubscribe all, get').segments);
    assert.deepEqual(records.map((r) => [r.request_type, r.response_status]), [
      ['SUBSCRIBE', 'ok'], ['PING', 'ok'], ['UNSUBSCRIBE', 'ok'], ['GET', 'ok'],
    ]);
    assert.equal(records[3]!.response_summary, '(bulk 5 bytes)'); // "$5 hello"
    assert.equal(counters['redis.messages'], 1);
    assert.equal(counters['redis.responses_without_request'], undefined);
  });

  it('counts pmessage deliveries after PSUBSCRIBE as messages', () => {
    const { records, counters } = replay(connection('PSUBSCRIBE').segments);
    assert.deepEqual(records.map((r) => r.request_type), ['PSUBSCRIBE']);
    assert.equal(counters['redis.messages'], 1);
  });

  it('treats RESP3 pushes as confirmations or messages, never as stray replies', () => {
    const { records, counters } = replay(connection('RESP3 SUBSCRIBE').segments);
    assert.deepEqual(records.map((r) => [r.request_type, r.response_status]), [['HELLO', 'ok'], ['SUBSCRIBE', 'ok']]);
    assert.equal(counters['redis.messages'], 1);
  });

  it('counts MONITOR output as messages once MONITOR is acknowledged', () => {
    const { records, counters } = replay(connection('MONITOR').segments);
    assert.deepEqual(records.map((r) => [r.request_type, r.response_summary]), [['MONITOR', 'OK']]);
    assert.equal(counters['redis.messages'], 1);
  });

  it('takes a RESP2 message array for a reply while a reply is owed and nothing is subscribed', () => {
    // LRANGE of a list that holds "message", "ch", "x": an ordinary reply.
    const segments: CapturedSegment[] = [
      { dir: 0, bytes: '*4\r\n$6\r\nLRANGE\r\n$1\r\nl\r\n$1\r\n0\r\n$2\r\n-1\r\n', length: 38 },
      { dir: 1, bytes: '*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n', length: 33 },
    ];
    const { records, counters } = replay(segments);
    assert.deepEqual(records.map((r) => [r.request_type, r.response_summary]), [['LRANGE', '(array 3)']]);
    assert.equal(counters['redis.messages'], undefined);
  });
});
