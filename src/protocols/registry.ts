/**
 * @module protocols/registry
 * The list of protocols flowscope knows. Adding a protocol is one folder and one line here.
 */
import type { ProtocolSpec } from './protocol.ts';
import type { ProtocolName } from '../records/record.ts';
import { http1 } from './http1/spec.ts';
import { dns } from './dns/spec.ts';
import { redis } from './redis/spec.ts';

// Each spec is generic in its own frame and state types; the registry holds them erased.
export const PROTOCOLS: readonly ProtocolSpec<any, any>[] = [http1, dns, redis];

export function protocolByName(name: string): ProtocolSpec<any, any> | undefined {
  return PROTOCOLS.find((p) => p.name === name);
}

export const PROTOCOL_NAMES: readonly ProtocolName[] = PROTOCOLS.map((p) => p.name);
