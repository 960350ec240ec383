#!/usr/bin/env bash
# One-command setup: install the pinned teleproto (package-lock.json) beside this script.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --silent --no-audit --no-fund 2>/dev/null || npm install --silent --no-audit --no-fund
