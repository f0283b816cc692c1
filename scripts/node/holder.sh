#!/usr/bin/env bash
# The node holder: started with `ip netns exec tskube-<node>` (a fresh mount namespace, / slave,
# /sys re-mounted), it makes the node's private mounts and then sleeps forever, so containerd
# and the agent can be (re)started into the same mount + net namespace with
# `nsenter -t <holder pid> -m -n`. Usage: holder.sh <node dir>
#   TSKUBE_CGROUP_MOUNTS="cpu:cgroup:cpu;systemd:cgroup:none,name=systemd;unified:cgroup2:"
#   (the host's cgroup mounts under /sys/fs/cgroup, as lab up reads them from mountinfo)
set -euo pipefail
DIR=${1:?node dir}

# 1. cgroups: `ip netns exec` re-mounted /sys, so /sys/fs/cgroup is empty; runc needs them.
mount -t tmpfs -o mode=755,nosuid,nodev,noexec cgroup /sys/fs/cgroup
IFS=';' read -ra entries <<<"${TSKUBE_CGROUP_MOUNTS:?}"
for e in "${entries[@]}"; do
  IFS=':' read -r name fstype opts <<<"$e"
  mkdir -p "/sys/fs/cgroup/$name"
  if [ "$fstype" = cgroup2 ]; then
    mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "/sys/fs/cgroup/$name"
  else
    mount -t cgroup -o "nosuid,nodev,noexec,$opts" cgroup "/sys/fs/cgroup/$name"
  fi
done

# 2. paths containerd 1.6, dockerd 20.10 and libcni hard-code: /run/containerd (shim sockets
#    in s/, and the runc root and fifos `ctr run` uses), /run/docker (plugin sockets) and the
#    CNI result cache. Also hides a host containerd's socket from the node: a Docker node's
#    dockerd would silently use it instead of starting its own containerd.
mkdir -p "$DIR/run-containerd/s" "$DIR/run-docker" "$DIR/cni/cache"
mount --bind "$DIR/run-containerd" /run/containerd
mount --bind "$DIR/run-docker" /run/docker
mount --bind "$DIR/cni/cache" /var/lib/cni

touch "$DIR/holder.ready"
exec sleep infinity
