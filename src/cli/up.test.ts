import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupId } from './up.ts';

test('--cgroup resolves a directory to its inode number, the id the kernel filters on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowscope-cg-'));
  assert.equal(cgroupId(dir), statSync(dir, { bigint: true }).ino);
});

test('--cgroup rejects a missing path or a file with a message naming the fix', () => {
  assert.throws(() => cgroupId('/nonexistent/cgroup'), /cannot read \/nonexistent\/cgroup \(ENOENT\).*cgroup v2 directory/);
  const file = join(mkdtempSync(join(tmpdir(), 'flowscope-cg-')), 'f');
  writeFileSync(file, '');
  assert.throws(() => cgroupId(file), /is not a directory/);
});
