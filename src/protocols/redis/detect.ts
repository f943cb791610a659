/**
 * @module protocols/redis/detect
 * Says how likely the first bytes of a TCP flow are Redis. From the client: a command array
 * (`*<n>\r\n$<len>\r\n<word>`) or an inline command line; from the server: a reply of plausible
 * shape. Lines that end in " HTTP/1.x" are HTTP, even when they start with GET.
 */
import type { DetectContext } from '../protocol.ts';
import { KNOWN_COMMANDS } from './commands.ts';
import { Resp } from './types.ts';

/** Command array whose name Redis knows / any word. */
const KNOWN_ARRAY_COMMAND = 0.9;
const ARRAY_COMMAND = 0.7;
/** A command array cut before its name is whole: only a port hint can tip it. */
const ARRAY_PREFIX = 0.35;
/** An inline known command: below the threshold unless the port agrees (telnet-style use). */
const INLINE_COMMAND = 0.45;
/** Server replies: the well-known ones, then any well-formed one. */
const KNOWN_REPLY = 0.6;
const SHAPED_REPLY = 0.4;

const ERROR_PREFIXES = [
  'ERR', 'WRONGTYPE', 'NOAUTH', 'NOPERM', 'WRONGPASS', 'MOVED', 'ASK', 'LOADING', 'BUSY', 'NOSCRIPT',
  'READONLY', 'MASTERDOWN', 'MISCONF', 'EXECABORT', 'OOM', 'NOREPLICAS', 'CROSSSLOT', 'TRYAGAIN',
  'CLUSTERDOWN', 'NOPROTO', 'UNKILLABLE',
];

export function detectRedis(data: Uint8Array, ctx: DetectContext): number {
  if (ctx.transport !== 'tcp' || data.length === 0) return 0;
  try {
    return ctx.dir === 0 ? detectCommand(data) : detectReply(data);
  } catch {
    return 0;
  }
}

function detectCommand(d: Uint8Array): number {
  if (d[0] === Resp.Array) return detectCommandArray(d);
  const nl = d.indexOf(0x0a);
  const text = ascii(d, 0, nl < 0 ? Math.min(d.length, 256) : nl).replace(/\r$/, '');
  if (/ HTTP\/\d/.test(text)) return 0;
  const word = /^([A-Za-z]+)(?: |$)/.exec(text);
  if (!word || !KNOWN_COMMANDS.has(word[1]!.toUpperCase())) return 0;
  return nl < 0 ? INLINE_COMMAND / 2 : INLINE_COMMAND;
}

/** `*<n>\r\n$<len>\r\n<name>`, judged on as much of it as has arrived. */
function detectCommandArray(d: Uint8Array): number {
  let i = 1;
  let nameLength = 0;
  for (let field = 0; field < 2; field++) {
    if (field === 1) {
      if (i >= d.length) return ARRAY_PREFIX;
      if (d[i++] !== Resp.BulkString) return 0;
    }
    let n = 0;
    const digitsStart = i;
    for (; i < d.length && d[i]! >= 0x30 && d[i]! <= 0x39; i++) {
      n = n * 10 + d[i]! - 0x30;
      if (i - digitsStart >= 7) return 0;
    }
    if (i >= d.length) return d[digitsStart] === 0x30 ? 0 : ARRAY_PREFIX;
    if (i === digitsStart || d[digitsStart] === 0x30 || d[i] !== 0x0d) return 0;
    if (i + 1 >= d.length) return ARRAY_PREFIX;
    if (d[i + 1] !== 0x0a) return 0;
    i += 2;
    nameLength = n;
  }
  if (nameLength > 64) return 0;
  const name = ascii(d, i, Math.min(d.length, i + nameLength));
  if (name.length > 0 && !/^[A-Za-z][A-Za-z0-9._|-]*$/.test(name)) return 0;
  if (name.length < nameLength) return ARRAY_PREFIX;
  return KNOWN_COMMANDS.has(name.toUpperCase()) ? KNOWN_ARRAY_COMMAND : ARRAY_COMMAND;
}

function detectReply(d: Uint8Array): number {
  if (d.length < 3) return 0;
  const first = line(d, 1);
  if (!first) return 0;
  const t = first.text;
  switch (d[0]) {
    case Resp.SimpleString:
      return t === 'OK' || t === 'PONG' || t === 'QUEUED' ? KNOWN_REPLY : /^[ -~]+$/.test(t) ? SHAPED_REPLY / 2 : 0;
    case Resp.SimpleError: {
      const word = /^[A-Z]+/.exec(t);
      return word && ERROR_PREFIXES.includes(word[0]) ? KNOWN_REPLY : 0;
    }
    case Resp.Integer:
      return /^-?[0-9]{1,19}$/.test(t) && first.next === d.length ? SHAPED_REPLY : 0;
    case Resp.BulkString: {
      if (t === '-1') return first.next === d.length ? SHAPED_REPLY : 0;
      if (!/^[0-9]{1,9}$/.test(t)) return 0;
      const end = first.next + Number(t);
      if (end + 2 > d.length) return SHAPED_REPLY;
      return d[end] === 0x0d && d[end + 1] === 0x0a ? KNOWN_REPLY : 0;
    }
    case Resp.Array:
    case Resp.Map:
    case Resp.Set:
    case Resp.Push:
    case Resp.Attribute: {
      if (!/^[0-9]{1,7}$/.test(t)) return 0;
      if (first.next >= d.length) return SHAPED_REPLY;
      return '+-:$*_#,(!=%~|>'.includes(String.fromCharCode(d[first.next]!)) ? KNOWN_REPLY : 0;
    }
    default:
      return 0;
  }
}

/** The text of the CRLF-terminated line starting at `from` (short lines only) and what follows it. */
function line(d: Uint8Array, from: number): { text: string; next: number } | null {
  const limit = Math.min(d.length, from + 512);
  for (let i = from; i + 1 < limit; i++) {
    if (d[i] === 0x0d) return d[i + 1] === 0x0a ? { text: ascii(d, from, i), next: i + 2 } : null;
  }
  return null;
}

function ascii(d: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(d[i]!);
  return s;
}
