#!/usr/bin/env bash
# Renders a Docker node's daemon.json: docker.io mirrored by the local registry over plain HTTP
# (so `image: nginx` resolves there, as on containerd nodes), cgroupfs driver, overlay2, json-file
# logs rotated by Docker at the kubelet's defaults (10 MiB, 5 files), and a default cgroup parent. Paths, socket and networking are flags on dockerd's command line.
# Usage: dockerd-config.sh --out <daemon.json> --registry host:port --cgroup-parent /p
#          [--key-path <key.json>]   (20.10 writes its trust key to /etc/docker by default)
set -euo pipefail
while [ $# -gt 0 ]; do
  case $1 in
    --out) OUT=$2 ;; --registry) REGISTRY=$2 ;; --cgroup-parent) CGROUP_PARENT=$2 ;; --key-path) KEY_PATH=$2 ;;
    *) echo "dockerd-config.sh: unknown flag $1" >&2; exit 2 ;;
  esac
  shift 2
done
: "${OUT:?--out}" "${REGISTRY:?--registry}" "${CGROUP_PARENT:?--cgroup-parent}"

mkdir -p "$(dirname "$OUT")"
cat >"$OUT" <<JSON
{
  "registry-mirrors": ["http://$REGISTRY"],
  "insecure-registries": ["$REGISTRY"],
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "cgroup-parent": "$CGROUP_PARENT",
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  "log-opts": {"max-size": "10m", "max-file": "5"},
  "userland-proxy": false,
  ${KEY_PATH:+"\"deprecated-key-path\": \"$KEY_PATH\","}
  "features": {"buildkit": false}
}
JSON
