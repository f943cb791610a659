/**
 * @module cli/main
 * The `flowscope` command: one subcommand per job (replay, up, server, agent, query).
 */
import { Command, CommanderError } from 'commander';
import { registerReplay } from './replay.ts';
import { registerUp } from './up.ts';
import { registerServer } from './server.ts';
import { registerAgent } from './agent.ts';
import { registerQuery } from './query.ts';

// Commander prints its own parse errors; errors thrown by a command's action are printed here.
let commanderPrinted = false;
const program = new Command();
program
  .configureOutput({
    outputError: (text, write) => {
      commanderPrinted = true;
      write(text);
    },
  })
  .name('flowscope')
  .description('Zero-instrumentation observability: requests, metrics, service map and traces from what the kernel sees')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerReplay(program);
registerUp(program);
registerServer(program);
registerAgent(program);
registerQuery(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    if (!commanderPrinted && err.code !== 'commander.helpDisplayed' && err.code !== 'commander.version') {
      process.stderr.write(`flowscope: ${err.message}\n`);
    }
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`flowscope: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
