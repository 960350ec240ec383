#!/usr/bin/env bash
# One-command setup: a virtualenv beside this script with the pinned requirements.
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
