#!/usr/bin/env bash
# Regenerates the TypeScript types for the CRI proto into proto/gen/ with @grpc/proto-loader's
# generator. The options must match the runtime loader in agent/cri/client.ts (LOADER_OPTIONS):
# keepCase, longs as String, enums as String, defaults, oneofs.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf proto/gen
npx proto-loader-gen-types --keepCase --longs=String --enums=String --defaults --oneofs \
  --grpcLib=@grpc/grpc-js --outDir=proto/gen proto/cri/api.proto
# NodeNext ESM needs explicit .js suffixes on relative imports.
find proto/gen -name '*.ts' -print0 | xargs -0 sed -i -E "s#(from '\\./[^']*|from '\\.\\./[^']*)'#\\1.js'#g"
