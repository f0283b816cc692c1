#!/usr/bin/env bash
# Run on the host before `vagrant up` (the Vagrantfile's trigger): the cluster PKI into
# .vagrant-pki/, synced to every VM with the checkout. Usage: pki.sh <master-ip> <name>=<ip>…
set -euo pipefail
cd "$(dirname "$0")/../.."
master=${1:?master ip}; shift
if ! command -v node >/dev/null || [ ! -f dist/bin/tskube.js ]; then
  echo "tskube: no Node.js or no build (npm ci && npm run build) on the host: the VMs will run without TLS" >&2
  exit 0
fi
args=()
for n in "$@"; do args+=(--node "$n"); done
node dist/bin/tskube.js pki init --dir .vagrant-pki --master-ip "$master" "${args[@]}" --reuse
