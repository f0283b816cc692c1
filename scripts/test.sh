#!/usr/bin/env bash
# The test command (README, CI): installs what it needs, builds, then runs every test —
# unit, integration (real containerd, iptables, sqlite, kubectl) and the end-to-end lab —
# on node's built-in runner. Safe to re-run. Extra args are passed to `node --test`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "tskube: the tests need root (network namespaces, containerd, iptables): run sudo bash scripts/test.sh" >&2
  exit 1
fi
bash scripts/install-deps.sh
bash scripts/npm-install.sh
npm run -s build

if [ "$#" -gt 0 ]; then
  exec node --test "$@"
fi
# Files run one at a time: the lab and the integration tests share the machine's kernel.
exec node --test --test-concurrency=1 dist/test/unit/ dist/test/integration/ dist/test/e2e/
