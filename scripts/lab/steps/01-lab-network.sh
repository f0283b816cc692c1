#!/usr/bin/env bash
# Step 1 of the netns lab: the "private network". A namespace tskube-lab holds the bridge
# br-lab (fixed MAC, so it never adopts a node's MAC); the host joins it as 192.168.56.1/24
# through one veth (tskube0), like Vagrant's host-only adapter. Idempotent.
set -euo pipefail
LAB_NS=tskube-lab
HOST_IF=tskube0
HOST_CIDR=${TSKUBE_HOST_CIDR:-192.168.56.1/24}

ip netns list | grep -qx "$LAB_NS\( .*\)\?" || ip netns add "$LAB_NS"
lab() { ip -n "$LAB_NS" "$@"; }

lab link set lo up
lab link show br-lab >/dev/null 2>&1 || lab link add br-lab address 02:74:73:6b:00:01 type bridge
lab link set br-lab up
# Lab-level bridge traffic is plain L2; netfilter stays out of it in this namespace.
ip netns exec "$LAB_NS" sysctl -qw net.bridge.bridge-nf-call-iptables=0

if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
  ip link add "$HOST_IF" address 02:74:73:6b:00:02 type veth peer name v-host netns "$LAB_NS"
fi
lab link set v-host master br-lab up
ip addr replace "$HOST_CIDR" dev "$HOST_IF"
ip link set "$HOST_IF" up
