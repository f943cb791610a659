/**
 * @module protocols/http1/describe
 * Turns a matched HTTP/1.x request and response into the protocol fields of a record.
 */
import type { ProtocolFields } from '../protocol.ts';
import type { ResponseStatus } from '../../records/record.ts';
import type { Http1Frame } from './types.ts';

/** Outcome class of a status code: 1xx-3xx ok, 4xx client error, 5xx server error. */
export function statusClass(status: number): ResponseStatus {
  if (status >= 100 && status < 400) return 'ok';
  if (status >= 400 && status < 500) return 'client_error';
  if (status >= 500 && status < 600) return 'server_error';
  return 'unknown';
}

/**
 * Request fields come from the request (null when it was not seen); trace ids only from the
 * request's headers, since they describe the caller; X-Request-ID falls back to the response's,
 * which proxies such as nginx often add on the way back.
 */
export function describeHttp1(request: Http1Frame | null, response: Http1Frame | null): ProtocolFields {
  const status = response ? response.status : 0;
  return {
    request_type: request ? request.method : null,
    request_domain: request ? request.host : null,
    request_resource: request ? request.target : null,
    protocol_version: (request ?? response)?.version ?? null,
    response_code: response ? status : null,
    response_status: response ? statusClass(status) : 'unknown',
    response_message: response && status >= 400 ? response.reason : null,
    response_summary: null,
    trace_id: request ? request.traceId : null,
    span_id: request ? request.spanId : null,
    parent_span_id: request ? request.parentSpanId : null,
    x_request_id: request?.xRequestId ?? response?.xRequestId ?? null,
  };
}
