#!/usr/bin/env bash
# One-command setup for one fork: `setup.sh kurigram` or `setup.sh pyrofork` makes .venv-<fork>
# beside this script with that fork's pinned requirements (both install the `pyrogram` package,
# so each needs its own venv). Quick when already set up.
set -euo pipefail
cd "$(dirname "$0")"
fork="${1:?usage: setup.sh kurigram|pyrofork}"
req="requirements-$fork.txt"
[ -f "$req" ] || { echo "setup.sh: no $req (forks: kurigram, pyrofork)" >&2; exit 2; }
venv=".venv-$fork"
stamp="$venv/.installed"
if [ -f "$stamp" ] && cmp -s "$req" "$stamp"; then exit 0; fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
cp "$req" "$stamp"
