#!/usr/bin/env bash
# One-command setup: install the pinned mtcute (package-lock.json) beside this script.
# --ignore-scripts: the only install script is better-sqlite3's native build (@mtcute/node's storage), which the adapter never loads.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --ignore-scripts --silent --no-audit --no-fund
