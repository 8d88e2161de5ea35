#!/usr/bin/env bash
# npm test: installs what is missing (system packages as root, npm packages), builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh --test
# Docker Compose v1 and v2, which the compose tests drive.
bash scripts/install-compose.sh
bash scripts/ensure-node-deps.sh
npm run --silent typecheck
npm run --silent build
node dist/build/hello/build-hello.js >/dev/null
node dist/build/distro/build-distro.js >/dev/null
report=$(mktemp /tmp/berth-vitest-XXXXXX.json)
trap 'rm -f "$report"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$report" || true
exit "$status"
