/**
 * @module protocols/http1/detect
 * Recognises HTTP/1.x from the first bytes of one direction: a request line or a status line.
 */
import type { DetectContext } from '../protocol.ts';
import { LINE_INVALID, LINE_PARTIAL, isKnownMethodPrefix, knownMethod, scanRequestLine, scanStatusLine } from './parse.ts';

/**
 * Confidence that `data` starts an HTTP/1.x message:
 * - 0.95: a whole request line ending in HTTP/1.x, or `HTTP/1.x DDD`;
 * - 0.8: a registered method and a space, the rest of the line not here yet;
 * - 0.4: an extension method and a space, or `HTTP/1.` cut short (a port hint can tip it);
 * - 0.35: only a prefix of a registered method ("G", "PO"), too short to say more;
 * - 0: anything else, including lines that end without HTTP/1.x (Redis inline commands).
 */
export function detectHttp1(data: Uint8Array, _ctx: DetectContext): number {
  if (data.length === 0) return 0;
  if (data[0] === 0x48 /* H */) {
    const status = scanStatusLine(data, 0);
    if (status > 0 || (status === LINE_PARTIAL && data.length >= 12)) return 0.95;
    if (status === LINE_PARTIAL) return data.length >= 7 ? 0.4 : isKnownMethodPrefix(data, 0, data.length) ? 0.35 : 0.3;
  }
  const line = scanRequestLine(data, 0);
  if (line === LINE_INVALID) return 0;
  if (line > 0) return 0.95;
  // Cut short: judge by the method token alone.
  let i = 0;
  while (i < data.length && data[i] !== 0x20) i++;
  if (i === data.length) return isKnownMethodPrefix(data, 0, i) || knownMethod(data, 0, i) !== null ? 0.35 : 0;
  return knownMethod(data, 0, i) !== null ? 0.8 : 0.4;
}
