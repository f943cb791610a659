/**
 * @module protocols/dns/detect
 * Says how likely the first bytes of a flow are DNS, from the structure of the message alone:
 * a strict header (assigned opcode, Z clear, one question, counts that fit) and a question that
 * decodes. HTTP, Redis and other text protocols fail the header check on their first bytes.
 */
import type { DetectContext } from '../protocol.ts';
import { DNS_HEADER_SIZE, FLAG_QR } from './types.ts';
import { decodesExactly, plausibleMessageAt } from './parse.ts';

/** A whole message that decodes to its last byte. */
const WHOLE = 0.8;
/** The start of a TCP message: header and question check out, the rest has not arrived. */
const PARTIAL = 0.6;
/** The first bytes of a TCP query, too few to judge: only a port hint can tip it. */
const PREFIX = 0.3;
/** Bonus when the QR bit agrees with who sent it (queries come from the client). */
const DIRECTION_AGREES = 0.1;

export function detectDns(data: Uint8Array, ctx: DetectContext): number {
  try {
    if (ctx.transport === 'udp') {
      if (!plausibleMessageAt(data, 0, data.length)) return 0;
      const frame = decodesExactly(data, 0, data.length);
      if (!frame) return 0;
      return WHOLE + directionBonus(frame.flags, ctx);
    }
    if (data.length < 2 + DNS_HEADER_SIZE) return tcpPrefix(data, ctx);
    const length = (data[0]! << 8) | data[1]!;
    if (!plausibleMessageAt(data, 2, length)) return 0;
    const flags = (data[4]! << 8) | data[5]!;
    if (data.length < 2 + length) return PARTIAL + directionBonus(flags, ctx);
    return decodesExactly(data, 2, 2 + length) ? WHOLE + directionBonus(flags, ctx) : 0;
  } catch {
    // Detection must never throw; a bug here only costs this flow its protocol.
    return 0;
  }
}

/**
 * A client's first segment shorter than a header: a short query's length (queries are small; the
 * high byte of a length under 1 KiB is at most 3) and, once in, a query's first flag byte.
 */
function tcpPrefix(data: Uint8Array, ctx: DetectContext): number {
  if (ctx.dir !== 0 || data.length === 0 || data[0]! > 3) return 0;
  if (data.length >= 2 && ((data[0]! << 8) | data[1]!) < DNS_HEADER_SIZE) return 0;
  if (data.length >= 5) {
    const flags = data[4]!;
    if (flags & 0x80 || ![0, 1, 2, 4, 5, 6].includes((flags >> 3) & 0xf)) return 0;
  }
  return PREFIX;
}

function directionBonus(flags: number, ctx: DetectContext): number {
  const query = (flags & FLAG_QR) === 0;
  return query === (ctx.dir === 0) ? DIRECTION_AGREES : 0;
}
