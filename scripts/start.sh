#!/usr/bin/env bash
# npm start: installs what is missing, builds, and runs Berth.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
bash scripts/ensure-node-deps.sh
npm run --silent build
node dist/build/hello/build-hello.js >/dev/null
exec node dist/electron/cli/main.js serve "$@"
