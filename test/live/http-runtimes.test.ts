/**
 * Live, privileged: curl against HTTP servers in three runtimes (nginx in C, Python's
 * http.server, Node's http), with GET and POST, 200/201/404, keep-alive and single-request
 * connections. Each transfer curl reports must be a record at both ends, from curl to the right
 * server process (nginx, python3, node), within curl's own transfer time.
 */
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { canConnect, freePort, requireLive, startNginx, startServer, which } from './helpers.ts';
import { curlScenario } from './curl-scenario.ts';

const workload = (name: string) => fileURLToPath(new URL(`./workload/${name}`, import.meta.url));

test('live: curl -> nginx, GET and POST, 200/201/404', async (t) => {
  if (!requireLive(t, ['nginx', 'curl'])) return;
  const port = await freePort();
  const nginx = await startNginx(port);
  try {
    await curlScenario(t, port, 'nginx');
  } finally {
    await nginx.stop();
  }
});

test('live: curl -> Python http.server (HTTP/1.1 keep-alive), GET and POST, 200/201/404', async (t) => {
  if (!requireLive(t, ['python3', 'curl'])) return;
  const port = await freePort();
  const server = await startServer('python', port, () => ({ cmd: which('python3') ?? 'python3', args: [workload('http_server.py'), String(port)] }),
    () => canConnect(port));
  try {
    await curlScenario(t, port, 'python3');
  } finally {
    await server.stop();
  }
});

test('live: curl -> Node http server, GET and POST, 200/201/404', async (t) => {
  if (!requireLive(t, ['curl'])) return;
  const port = await freePort();
  const server = await startServer('node', port, () => ({ cmd: process.execPath, args: [workload('http-server.mjs'), String(port)] }));
  try {
    await curlScenario(t, port, 'node');
  } finally {
    await server.stop();
  }
});
