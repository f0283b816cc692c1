#!/usr/bin/env bash
# npm ci only when node_modules is missing or older than the lockfile (the native
# better-sqlite3 build takes ~50 s, so re-runs skip it).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
