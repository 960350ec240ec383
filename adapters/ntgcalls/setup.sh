#!/usr/bin/env bash
# One-command setup: a virtualenv beside this script with the pinned requirements (quick when
# already set up).
set -euo pipefail
cd "$(dirname "$0")"
stamp=.venv/.installed
if [ -f "$stamp" ] && cmp -s requirements.txt "$stamp"; then exit 0; fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
cp requirements.txt "$stamp"
