#!/usr/bin/env bash
# Installs whatever flowscope and its tests need and is missing on a Debian 12 host:
# Debian packages (libbpf for live capture; servers and clients the live tests drive; tshark,
# which tests use as an independent decoder), npm packages, tracefs. Idempotent; needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  libbpf1 bpftool clang llvm libbpf-dev make       # eBPF: runtime library, and the toolchain to rebuild the object
  tshark wireshark-common                          # independent decoder used by tests (editcap, capinfos)
  nginx wrk curl                                   # HTTP server and clients for live tests and the overhead benchmark
  redis-server redis-tools                         # Redis server, redis-cli and redis-benchmark
  dnsmasq-base dnsutils                            # a DNS server on a loopback port, and dig
  python3 iproute2 procps linux-perf
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install: missing Debian packages: ${missing[*]}; run this script as root (sudo) to install them" >&2
    exit 1
  fi
  echo "install: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages at the locked versions. Not `npm ci`: chdb lists prebuilt engines for other
# platforms as optional dependencies that the registry here does not serve, and `npm ci` refuses a
# lock file without them, where `npm install` skips them.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
fi

# Live capture attaches to syscall tracepoints through tracefs.
if [ "$(id -u)" -eq 0 ] && [ ! -d /sys/kernel/tracing/events/syscalls ] && [ ! -d /sys/kernel/debug/tracing/events/syscalls ]; then
  mount -t tracefs tracefs /sys/kernel/tracing && echo "install: mounted tracefs on /sys/kernel/tracing"
fi
if [ ! -e /sys/kernel/btf/vmlinux ]; then
  echo "install: warning: this kernel has no BTF (/sys/kernel/btf/vmlinux); live capture needs CONFIG_DEBUG_INFO_BTF=y" >&2
fi
echo "install: ok"
