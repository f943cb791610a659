/**
 * @module protocols/redis/describe
 * Turns a command and its reply into record fields. Redis has no status codes: an error reply
 * ('-' or RESP3 '!') is counted as a client error, because Redis errors report a command the
 * server refused (WRONGTYPE, unknown command, NOAUTH, syntax, OOM on a write) rather than a crash
 * of the call; the error text itself ("ERR ...", "WRONGTYPE ...") says which.
 */
import { EMPTY_FIELDS } from '../protocol.ts';
import type { ProtocolFields } from '../protocol.ts';
import type { RedisFrame } from './types.ts';

export function describeRedis(request: RedisFrame | null, response: RedisFrame | null): ProtocolFields {
  const fields: ProtocolFields = { ...EMPTY_FIELDS };
  if (request) {
    fields.request_type = request.command;
    fields.request_resource = request.args;
  }
  if (response) {
    fields.response_status = response.error === null ? 'ok' : 'client_error';
    fields.response_message = response.error;
    fields.response_summary = response.summary;
  }
  return fields;
}
