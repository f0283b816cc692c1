#!/usr/bin/env bash
# Pushes the OCI layouts built by build.sh to a registry as <registry>/library/<name>:<tag>,
# skipping tags whose manifest the registry already has. Usage: push.sh <host:port> [name…]
set -euo pipefail

REG=${1:?usage: push.sh <host:port> [name…]}; shift
OUT="${TSKUBE_IMAGES:-/var/lib/tskube/images}"
names=("$@"); [ ${#names[@]} -gt 0 ] || names=(pause busybox nginx curl)
ACCEPT='application/vnd.oci.image.manifest.v1+json'

for n in "${names[@]}"; do
  digest=$(cat "$OUT/$n/.digest")
  for t in $(cat "$OUT/$n/.tags"); do
    have=$(curl -fsSI -H "Accept: $ACCEPT" "http://$REG/v2/library/$n/manifests/$t" 2>/dev/null \
      | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}') || true
    [ "$have" = "$digest" ] && continue
    skopeo copy -q --dest-tls-verify=false "oci:$OUT/$n:$t" "docker://$REG/library/$n:$t"
    echo "tskube: pushed $REG/library/$n:$t"
  done
done
