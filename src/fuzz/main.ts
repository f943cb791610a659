/**
 * @module fuzz/main
 * `npm run fuzz -- --protocol <name> --iterations <n> [--seed <n>]`: fuzz one protocol (or `all`)
 * with oracle payloads and random bytes; exits non-zero if any input threw or hung.
 */
import { Command, Option } from 'commander';
import { PROTOCOLS } from '../protocols/registry.ts';
import { fuzz } from './fuzz.ts';
import { oracleSeeds } from './seeds.ts';
import { positiveInt } from '../cli/options.ts';

const program = new Command()
  .name('fuzz')
  .addOption(new Option('--protocol <name>', 'protocol to fuzz').choices([...PROTOCOLS.map((p) => p.name), 'all']).default('all'))
  .option('--iterations <n>', 'inputs per protocol', positiveInt('--iterations'), 100_000)
  .option('--seed <n>', 'PRNG seed', positiveInt('--seed'), 1)
  .parse();

const opts = program.opts<{ protocol: string; iterations: number; seed: number }>();
let failed = false;
for (const spec of PROTOCOLS.filter((p) => opts.protocol === 'all' || p.name === opts.protocol)) {
  const seeds = await oracleSeeds(spec.name);
  const report = fuzz({
    spec, seeds, iterations: opts.iterations, seed: opts.seed,
    onProgress: (n) => { if (n > 0) process.stderr.write(`\r${spec.name}: ${n.toLocaleString('en-US')} inputs`); },
  });
  process.stderr.write('\r');
  console.log(`${spec.name}: ${report.iterations.toLocaleString('en-US')} inputs from ${seeds.length} oracle seeds in ${report.seconds.toFixed(1)} s ` +
    `(${Math.round(report.iterations / report.seconds).toLocaleString('en-US')}/s), exceptions ${report.failureCount}, ` +
    `hangs ${report.hangs}, slowest ${report.slowest.ms.toFixed(1)} ms, records ${report.records}, heap growth ${report.heapGrowthMB.toFixed(1)} MB`);
  for (const f of report.failures) {
    console.log(`  input (hex) ${Buffer.from(f.input.subarray(0, 200)).toString('hex')}\n  ${f.error}`);
  }
  if (report.failureCount > 0 || report.hangs > 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
