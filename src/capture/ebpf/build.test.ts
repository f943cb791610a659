import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bpfDir = fileURLToPath(new URL('../../../bpf/', import.meta.url));

function missingTool(): string | null {
  for (const tool of ['clang', 'llvm-strip', 'bpftool', 'make']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (scripts/install.sh installs it)`;
  }
  if (spawnSync('sh', ['-c', 'test -r /sys/kernel/btf/vmlinux']).status !== 0) return 'this kernel has no BTF at /sys/kernel/btf/vmlinux';
  return null;
}

test('the committed eBPF object is what its source builds to (make -C bpf check)', (t) => {
  const missing = missingTool();
  if (missing) {
    if (process.env.CI) assert.fail(`cannot rebuild the eBPF object: ${missing}`);
    t.skip(missing);
    return;
  }
  const run = spawnSync('make', ['-s', '-C', bpfDir, 'check'], { encoding: 'utf8' });
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  assert.match(run.stdout, /up to date/);
});
