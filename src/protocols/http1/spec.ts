/**
 * @module protocols/http1/spec
 * HTTP/1.0 and HTTP/1.1 (RFC 9110, RFC 9112) as a flowscope protocol: requests and responses
 * paired in order, so keep-alive and pipelining work as the wire does.
 */
import type { ProtocolSpec } from '../protocol.ts';
import type { Http1Frame, Http1State } from './types.ts';
import { detectHttp1 } from './detect.ts';
import { createHttp1State, findHttp1Boundary, parseHttp1, parseHttp1Partial } from './parse.ts';
import { describeHttp1 } from './describe.ts';

export type { Http1Frame, Http1State } from './types.ts';

export const http1: ProtocolSpec<Http1Frame, Http1State> = {
  name: 'http1',
  transports: ['tcp'],
  // Hints only: HTTP runs on any port, and detection from the first bytes is what decides.
  // 443/8443 help once TLS plaintext is captured at the OpenSSL boundary.
  ports: [80, 8080, 8000, 8008, 8081, 8888, 3000, 5000, 9000, 443, 8443],
  detect: detectHttp1,
  createState: createHttp1State,
  parse: parseHttp1,
  parsePartial: parseHttp1Partial,
  findFrameBoundary: findHttp1Boundary,
  matching: 'fifo',
  describe: describeHttp1,
};
