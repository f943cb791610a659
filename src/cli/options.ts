/**
 * @module cli/options
 * Option parsers shared by subcommands; each rejects bad values with a message naming the fix.
 */
import { InvalidArgumentError } from 'commander';
import { PROTOCOLS } from '../protocols/registry.ts';
import type { ProtocolSpec } from '../protocols/protocol.ts';

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}

export function parseProtocols(names: string[] | undefined): readonly ProtocolSpec<any, any>[] {
  if (!names || names.length === 0) return PROTOCOLS;
  return names.map((name) => {
    const spec = PROTOCOLS.find((p) => p.name === name.toLowerCase());
    if (!spec) {
      throw new InvalidArgumentError(`unknown protocol "${name}"; known: ${PROTOCOLS.map((p) => p.name).join(', ')}`);
    }
    return spec;
  });
}

export function positiveInt(label: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0 || n > max) {
      throw new InvalidArgumentError(`${label} must be a whole number between 1 and ${max}, got "${value}"`);
    }
    return n;
  };
}
