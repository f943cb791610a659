// The shared protocol conformance suite, fed with exchanges captured from curl and nginx/Node
// (testdata/README.md). Expected fields are read off the captured bytes.
import { readFileSync } from 'node:fs';
import { describeConformance } from '../conformance.ts';
import { http1 } from './spec.ts';

const load = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`./testdata/${name}.bin`, import.meta.url)));

describeConformance(http1, {
  transport: 'tcp',
  serverPort: 80,
  exchanges: [
    {
      request: load('get.c2s'),
      response: load('get.s2c'),
      expect: {
        request_type: 'GET', request_domain: '127.0.0.1:28390', request_resource: '/', protocol_version: '1.1',
        response_code: 200, response_status: 'ok', response_message: null,
      },
    },
    {
      request: load('post.c2s'),
      response: load('post.s2c'),
      expect: { request_type: 'POST', request_resource: '/created', response_code: 201, response_status: 'ok' },
    },
    {
      request: load('head.c2s'),
      response: load('head.s2c'),
      expect: { request_type: 'HEAD', request_resource: '/', response_code: 200, response_status: 'ok' },
    },
    {
      request: load('gzip.c2s'),
      response: load('gzip.s2c'),
      expect: { request_type: 'GET', request_resource: '/gz', response_code: 200, response_status: 'ok' },
    },
    {
      request: load('notfound.c2s'),
      response: load('notfound.s2c'),
      expect: {
        request_type: 'GET', request_resource: '/missing', response_code: 404, response_status: 'client_error',
        response_message: 'Not Found',
      },
    },
    {
      request: load('trace.c2s'),
      response: load('trace.s2c'),
      expect: {
        request_type: 'GET', response_code: 200, trace_id: '0af7651916cd43dd8448eb211c80319c',
        span_id: 'b7ad6b7169203331', x_request_id: 'req-42',
      },
    },
    {
      request: load('empty.c2s'),
      response: load('empty.s2c'),
      expect: { request_type: 'DELETE', request_resource: '/empty', response_code: 204, response_status: 'ok' },
    },
    {
      request: load('chunked.c2s'),
      response: load('chunked.s2c'),
      expect: { request_type: 'GET', request_resource: '/chunked', response_code: 200, response_status: 'ok' },
    },
    {
      request: load('notfound.c2s'),
      response: null,
      expect: { request_type: 'GET', request_resource: '/missing', response_code: null },
    },
  ],
});
