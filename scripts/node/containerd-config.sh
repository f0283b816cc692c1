#!/usr/bin/env bash
# Renders one node's containerd config and its registry hosts (docker.io → the local registry
# over plain HTTP). Used by the netns lab (one per node) and by the Vagrant VMs (system paths).
# Usage: containerd-config.sh --out <config.toml> --root R --state S --socket P --runc-root D
#          --cni-conf-dir C --certs-d H --registry host:port [--restrict-oom-score-adj true|false]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
RESTRICT_OOM=true
while [ $# -gt 0 ]; do
  case $1 in
    --out) OUT=$2 ;; --root) ROOT=$2 ;; --state) STATE=$2 ;; --socket) SOCKET=$2 ;;
    --runc-root) RUNC_ROOT=$2 ;; --cni-conf-dir) CNI_CONF_DIR=$2 ;; --certs-d) CERTS_D=$2 ;;
    --registry) REGISTRY=$2 ;; --restrict-oom-score-adj) RESTRICT_OOM=$2 ;;
    *) echo "containerd-config.sh: unknown flag $1" >&2; exit 2 ;;
  esac
  shift 2
done
: "${OUT:?--out}" "${ROOT:?--root}" "${STATE:?--state}" "${SOCKET:?--socket}" "${RUNC_ROOT:?--runc-root}"
: "${CNI_CONF_DIR:?--cni-conf-dir}" "${CERTS_D:?--certs-d}" "${REGISTRY:?--registry}"

mkdir -p "$(dirname "$OUT")" "$ROOT" "$STATE" "$RUNC_ROOT" "$CNI_CONF_DIR" "$(dirname "$SOCKET")"
sed -e "s|@ROOT@|$ROOT|g" -e "s|@STATE@|$STATE|g" -e "s|@SOCKET@|$SOCKET|g" \
    -e "s|@RUNC_ROOT@|$RUNC_ROOT|g" -e "s|@CNI_CONF_DIR@|$CNI_CONF_DIR|g" \
    -e "s|@CERTS_D@|$CERTS_D|g" -e "s|@RESTRICT_OOM@|$RESTRICT_OOM|g" \
    "$HERE/containerd.toml" >"$OUT"

# docker.io resolves through the local registry first (image: nginx works offline); with
# internet, anything the mirror lacks still comes from Docker Hub.
mkdir -p "$CERTS_D/docker.io" "$CERTS_D/$REGISTRY"
cat >"$CERTS_D/docker.io/hosts.toml" <<TOML
server = "https://registry-1.docker.io"

[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
TOML
cat >"$CERTS_D/$REGISTRY/hosts.toml" <<TOML
server = "http://$REGISTRY"

[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve", "push"]
  skip_verify = true
TOML
