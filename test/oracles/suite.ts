/**
 * @module test/oracles/suite
 * Declares one node:test case per oracle capture of a protocol: the capture conforms when every
 * fact its oracle pins equals ours, or equals the value pinned for a known difference.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProtocolName } from '../../src/records/record.ts';
import { evaluateProtocol, failureMessage } from './evaluate.ts';
import { oraclesDir, skipReason } from './paths.ts';

export async function oracleSuite(protocol: ProtocolName, title: string): Promise<void> {
  const skip = skipReason();
  if (skip) {
    describe(`${title} conformance against other tools`, () => {
      it('needs the oracle captures', { skip }, () => {});
    });
    return;
  }
  const results = await evaluateProtocol(protocol, oraclesDir());
  describe(`${title} conformance against other tools`, () => {
    it('covers every capture the oracle index lists', () => {
      assert.ok(results.length > 0, `no ${title} captures found in the oracle index`);
    });
    for (const result of results) {
      it(`${result.entry.file} (${result.status})`, () => {
        assert.ok(result.facts.length > 0 || result.replayErrorExpectation, `${result.entry.file}: the oracle yields no comparable fact`);
        const message = failureMessage(result);
        assert.equal(message, null, message ?? '');
      });
    }
  });
}
