/**
 * Runs `flowscope up` on its own (before src/cli/main.ts wires it in): node --import tsx test/live/up-cli.ts up ...
 */
import { Command } from 'commander';
import { registerUp } from '../../src/cli/up.ts';

const program = new Command().name('flowscope');
registerUp(program);
await program.parseAsync(process.argv);
