import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerIdFromCgroup } from './container.ts';

const ID = '3f2a9c0d1e2b3a4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4';

test('finds container ids of each runtime, cgroup v1 and v2', () => {
  const cases = [
    `0::/system.slice/docker-${ID}.scope`,
    `12:memory:/docker/${ID}`,
    `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-${ID}.scope`,
    `0::/kubepods/besteffort/pod0b1c/${ID}`,
    `0::/machine.slice/libpod-${ID}.scope`,
    `0::/kubepods.slice/kubepods-pod99.slice/crio-${ID}.scope`,
    `1:name=systemd:/user.slice\n0::/system.slice/containerd-${ID}.scope`,
  ];
  for (const text of cases) assert.equal(containerIdFromCgroup(text), ID, text);
});

test('host processes and junk have no container id', () => {
  for (const text of ['0::/user.slice/user-0.slice/session-1.scope', '0::/init.scope', '', 'garbage', `0::/docker-${ID.slice(1)}.scope`]) {
    assert.equal(containerIdFromCgroup(text), null, text);
  }
});
