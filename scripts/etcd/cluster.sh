#!/usr/bin/env bash
# A local etcd cluster for tskube on loopback (Debian's etcd-server, /usr/bin/etcd):
#   scripts/etcd/cluster.sh up [members=3] [dir=/tmp/tskube-etcd]   → prints the --storage URL
#   scripts/etcd/cluster.sh down [dir]                              → stops the members it started
# Member i listens for clients on 127.0.0.1:(23790+i) and for peers on 127.0.0.1:(23890+i).
set -euo pipefail
cmd=${1:-up}; n=${2:-3}; dir=${3:-/tmp/tskube-etcd}
[ "$cmd" = down ] && dir=${2:-/tmp/tskube-etcd}
ETCD=${ETCD:-/usr/bin/etcd}

case "$cmd" in
up)
  [ -x "$ETCD" ] || { echo "no $ETCD: apt-get install etcd-server" >&2; exit 1; }
  mkdir -p "$dir"
  cluster=""; urls=""
  for i in $(seq 0 $((n - 1))); do
    cluster+="${cluster:+,}m$i=http://127.0.0.1:$((23890 + i))"
    urls+="${urls:+,}127.0.0.1:$((23790 + i))"
  done
  for i in $(seq 0 $((n - 1))); do
    c=$((23790 + i)); p=$((23890 + i))
    "$ETCD" --name "m$i" --data-dir "$dir/m$i" \
      --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
      --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token tskube \
      --logger zap --log-level warn >"$dir/m$i.log" 2>&1 &
    echo $! >"$dir/m$i.pid"
  done
  for i in $(seq 0 $((n - 1))); do
    for _ in $(seq 1 100); do
      curl -sf "http://127.0.0.1:$((23790 + i))/health" | grep -q '"true"' && break
      sleep 0.2
    done
  done
  ETCDCTL_API=3 etcdctl --endpoints "$urls" endpoint health
  echo "etcd://$urls"
  ;;
down)
  for f in "$dir"/m*.pid; do
    [ -e "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  rm -rf "$dir"
  ;;
*) echo "usage: $0 up [members] [dir] | down [dir]" >&2; exit 2 ;;
esac
