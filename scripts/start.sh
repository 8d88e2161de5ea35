#!/usr/bin/env bash
# npm start: installs what is missing, builds, and runs Berth: the desktop app where an Electron
# binary and a display exist, otherwise the same UI in the browser (`berth serve --web`).
# `npm run start:web` (or `npm start -- --web`) always picks the browser.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
bash scripts/ensure-node-deps.sh
npm run --silent build
node dist/build/hello/build-hello.js >/dev/null

# Prints the Electron binary's path when it is installed (the npm package alone has none).
electron_binary() {
  node -e 'try { const p = require("electron"); if (require("fs").existsSync(p)) { console.log(p); process.exit(0); } } catch {} process.exit(1);' 2>/dev/null
}

mode=app
if [ "${1:-}" = "--web" ]; then
  mode=web
  shift
fi
if [ "$mode" = app ] && ! electron_binary >/dev/null; then
  # npm ci skipped the download (it must not fail the install); one short try now, failure is fine.
  timeout 30 node node_modules/electron/install.js >/dev/null 2>&1 || true
fi
has_display() { [ "$(uname -s)" != Linux ] || [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }
if [ "$mode" = app ] && binary=$(electron_binary) && has_display; then
  flags=()
  # Chromium refuses to run as root without this; the window keeps contextIsolation and sandboxed JS.
  if [ "$(id -u)" = 0 ]; then flags+=(--no-sandbox); fi
  exec "$binary" "${flags[@]}" . "$@"
fi
if [ "$mode" = app ]; then
  echo "berth: no Electron binary or display here, so the UI runs in your browser: open the URL below" >&2
fi
exec node dist/electron/cli/main.js serve --web "$@"
