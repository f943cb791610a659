/**
 * @module process/container
 * Finds the container id in the text of /proc/<pid>/cgroup: Docker, containerd (plain and CRI),
 * CRI-O, Podman and Kubernetes pod cgroups, under cgroup v1 or v2, systemd or cgroupfs drivers.
 */

// A 64-hex id as the last path element, optionally wrapped by a runtime prefix and ".scope".
const ID_IN_PATH =
  /(?:^|\/)(?:docker-|cri-containerd-|crio-|libpod-|containerd-)?([0-9a-f]{64})(?:\.scope)?$/;

/** The container id (64 hex characters) of a process, or null on the host. Never throws. */
export function containerIdFromCgroup(cgroupText: string): string | null {
  for (const line of cgroupText.split('\n')) {
    // "hierarchy-id:controllers:path"; the path may itself contain colons.
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const path = line.slice(second + 1).trim();
    const m = ID_IN_PATH.exec(path);
    if (m) return m[1]!;
  }
  return null;
}
