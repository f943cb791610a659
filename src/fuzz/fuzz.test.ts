import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { PROTOCOLS } from '../protocols/registry.ts';
import { fuzz } from './fuzz.ts';
import { oracleSeeds, oraclesRoot } from './seeds.ts';

const ITERATIONS = Number(process.env.FLOWSCOPE_FUZZ_ITERATIONS ?? 20_000);

describe('short fuzz pass per protocol', () => {
  for (const spec of PROTOCOLS) {
    it(`${spec.name}: ${ITERATIONS} mutated inputs, no exception, no hang, bounded heap`, async (t) => {
      if (!existsSync(oraclesRoot())) {
        if (process.env.CI) assert.fail(`oracle captures not found at ${oraclesRoot()} (set FLOWSCOPE_ORACLES)`);
        t.skip(`oracle captures not found at ${oraclesRoot()}`);
        return;
      }
      const seeds = await oracleSeeds(spec.name);
      assert.ok(seeds.length >= 5, `expected oracle seeds for ${spec.name}, got ${seeds.length}`);
      const report = fuzz({ spec, seeds, iterations: ITERATIONS, seed: 7 });
      assert.equal(report.failureCount, 0, report.failures.map((f) => f.error).join('\n---\n'));
      assert.equal(report.hangs, 0, `slowest input took ${report.slowest.ms} ms`);
      assert.ok(report.heapGrowthMB < 64, `heap grew by ${report.heapGrowthMB} MB`);
      // The fuzzer must actually reach the parsers: some mutated inputs still parse into records.
      assert.ok(report.records > 0, 'no input produced a record: the fuzzer is not reaching the parser');
    });
  }
});
