#!/usr/bin/env bash
# Installs tskube's runtime dependencies from Debian, idempotently: container runtimes, CNI
# plugins, iptables, etcd, the local registry and the tools that build the lab images.
# Safe to re-run; runs `apt-get update` once, and only when something is missing.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "tskube: run as root (sudo $0)" >&2
  exit 1
fi

PACKAGES=(
  docker.io containerd runc containernetworking-plugins iptables conntrack
  etcd-server etcd-client docker-registry skopeo busybox-static nginx iproute2
  gcc libc6-dev curl iputils-ping
)
# vagrant only where it is wanted (CI validates the Vagrantfile); TSKUBE_WITH_VAGRANT=0 skips it.
if [ "${TSKUBE_WITH_VAGRANT:-1}" = 1 ] && [ ! -e /vagrant ]; then PACKAGES+=(vagrant); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "tskube: dependencies already installed"
  exit 0
fi

echo "tskube: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=a
log=$(mktemp /tmp/tskube-apt.XXXXXX)
# Debian's docker.io/containerd/docker-registry start their services on install where systemd
# runs; the lab does not use those, the Vagrant provisioning reconfigures them.
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"; } \
      </dev/null >"$log" 2>&1; then
  cat "$log" >&2
  echo "tskube: apt-get failed (log above, kept in $log)" >&2
  exit 1
fi
rm -f "$log"
echo "tskube: dependencies installed"
