/**
 * @module protocols/dns/describe
 * Turns a query and its answer into record fields. Status follows DeepFlow's DNS mapping
 * (agent/src/flow_generator/protocol_logs/dns.rs, `set_status`): NOERROR is ok; FORMERR and
 * NXDOMAIN are the client's fault (a malformed query, a name that does not exist); every other
 * rcode (SERVFAIL, NOTIMP, REFUSED, the UPDATE and EDNS codes) is a server error.
 */
import { EMPTY_FIELDS } from '../protocol.ts';
import type { ProtocolFields } from '../protocol.ts';
import type { ResponseStatus } from '../../records/record.ts';
import { opcodeName, rcodeName, typeName } from './types.ts';
import type { DnsFrame } from './types.ts';

export function dnsStatus(rcode: number): ResponseStatus {
  if (rcode === 0) return 'ok';
  if (rcode === 1 || rcode === 3) return 'client_error';
  return 'server_error';
}

export function describeDns(request: DnsFrame | null, response: DnsFrame | null): ProtocolFields {
  // The question is echoed in the answer, so an answer alone still says what was asked.
  const asked = request ?? response;
  const fields: ProtocolFields = { ...EMPTY_FIELDS };
  if (asked) {
    // Zeek's dns.log convention: qtype name for queries, the name without its trailing dot.
    fields.request_type = asked.opcode === 0
      ? (asked.qtype >= 0 ? typeName(asked.qtype) : null)
      : opcodeName(asked.opcode) ?? null;
    fields.request_domain = asked.qname;
    fields.request_resource = asked.qname;
  }
  if (response) {
    fields.response_code = response.rcode;
    fields.response_status = dnsStatus(response.rcode);
    fields.response_message = response.rcode === 0 ? null : rcodeName(response.rcode);
    fields.response_summary = response.answers;
  }
  return fields;
}
