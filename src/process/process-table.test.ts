import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessTable } from './process-table.ts';
import { parseRules } from './rules.ts';

const ID = 'ab'.repeat(32);

function fakeProc(): string {
  const root = mkdtempSync(join(tmpdir(), 'flowscope-proc-'));
  const host = join(root, '10');
  mkdirSync(host);
  writeFileSync(join(host, 'comm'), 'nginx\n');
  symlinkSync('/usr/sbin/nginx', join(host, 'exe'));
  writeFileSync(join(host, 'cgroup'), '0::/system.slice/nginx.service\n');
  const boxed = join(root, '20');
  mkdirSync(join(boxed, 'root', 'etc'), { recursive: true });
  writeFileSync(join(boxed, 'comm'), 'python3\n');
  symlinkSync('/usr/bin/python3.11', join(boxed, 'exe'));
  writeFileSync(join(boxed, 'cgroup'), `0::/system.slice/docker-${ID}.scope\n`);
  writeFileSync(join(boxed, 'root', 'etc', 'hostname'), 'orders-api-7c9f\n');
  return root;
}

test('host process: command, executable, no container, service from the command', () => {
  const table = new ProcessTable({ procRoot: fakeProc() });
  assert.deepEqual(table.lookup(10), { pid: 10, command: 'nginx', executable: '/usr/sbin/nginx', container_id: null, service: 'nginx' });
});

test('container process: id from cgroup, service from the container hostname', () => {
  const table = new ProcessTable({ procRoot: fakeProc() });
  const info = table.lookup(20, 'python3');
  assert.equal(info.container_id, ID);
  assert.equal(info.service, 'orders-api-7c9f');
});

test('a process already gone keeps the kernel-reported name', () => {
  const table = new ProcessTable({ procRoot: fakeProc() });
  assert.deepEqual(table.lookup(999, 'curl'), { pid: 999, command: 'curl', executable: null, container_id: null, service: 'curl' });
  assert.equal(table.alive(999), false);
  assert.equal(table.alive(10), true);
});

test('rules override the derived service', () => {
  const { rules } = parseRules('match exe /usr/bin/python3* -> service orders');
  const table = new ProcessTable({ procRoot: fakeProc(), rules });
  assert.equal(table.lookup(20).service, 'orders');
});

test('cache: bounded LRU, re-read after the TTL or when the command changes (exec)', () => {
  let now = 0;
  const table = new ProcessTable({ procRoot: fakeProc(), maxEntries: 2, ttlMs: 1000, now: () => now });
  table.lookup(10);
  table.lookup(10);
  assert.equal(table.reads, 1);
  table.lookup(10, 'nginx-new');
  assert.equal(table.reads, 2);
  now = 5000;
  table.lookup(10, 'nginx-new');
  assert.equal(table.reads, 3);
  table.lookup(20);
  table.lookup(30, 'x');
  assert.equal(table.size, 2);
  assert.equal(table.evictions, 1);
});

test('service is the command name, not the executable a link points to', () => {
  const root = mkdtempSync(join(tmpdir(), 'proc-'));
  const dir = join(root, '30');
  mkdirSync(dir);
  writeFileSync(join(dir, 'comm'), 'redis-server\n');
  symlinkSync('/usr/bin/redis-check-rdb', join(dir, 'exe'));
  const table = new ProcessTable({ procRoot: root });
  assert.equal(table.lookup(30).service, 'redis-server');
});

test('a command cut at 15 bytes takes the executable name it starts', () => {
  const root = mkdtempSync(join(tmpdir(), 'proc-'));
  const dir = join(root, '31');
  mkdirSync(dir);
  writeFileSync(join(dir, 'comm'), 'orders-consumer\n');
  symlinkSync('/opt/app/orders-consumer-worker', join(dir, 'exe'));
  const table = new ProcessTable({ procRoot: root });
  assert.equal(table.lookup(31).service, 'orders-consumer-worker');
});
