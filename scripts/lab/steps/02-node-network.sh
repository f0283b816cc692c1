#!/usr/bin/env bash
# Step 2, once per node: a namespace tskube-<node> with eth0 on the lab bridge (both veth ends
# created directly in their namespaces), forwarding and bridge netfilter on, a route for the
# service CIDR and no default route. Usage: 02-node-network.sh <node> <ip> <index>
set -euo pipefail
NODE=${1:?node}; IP=${2:?ip}; IDX=${3:?index}
NS=tskube-$NODE
LAB_NS=tskube-lab
SERVICE_CIDR=${TSKUBE_SERVICE_CIDR:-10.96.0.0/12}
MAC=$(printf '02:74:73:6b:01:%02x' "$IDX")

ip netns list | grep -qx "$NS\( .*\)\?" || ip netns add "$NS"
node() { ip -n "$NS" "$@"; }

node link set lo up
if ! node link show eth0 >/dev/null 2>&1; then
  ip link add eth0 netns "$NS" address "$MAC" type veth peer name "v-$NODE" netns "$LAB_NS"
fi
ip -n "$LAB_NS" link set "v-$NODE" master br-lab up
node addr replace "$IP/24" dev eth0
node link set eth0 up
node route replace "$SERVICE_CIDR" dev eth0
ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
