#!/usr/bin/env bash
# Regenerate reports/matrix/: set up every adapter (pinned versions), build the harness, run the
# conformance matrix over the built-in reference and every adapter whose runtime is present.
#   adapters/matrix.sh            # all adapters
#   ADAPTERS="tgcrypto telethon" adapters/matrix.sh
# Wire drivers (harness/wire/README.md) run beside them as the `wire (client)` / `wire (server)`
# columns of the row of the same name: WIRE lists NAME:ROLE pairs ("" for none; default: every
# driver, Python and JavaScript), and each wire case is bounded by WIRE_TIMEOUT_MS.
#   WIRE="telethon:client pymtproto:server" adapters/matrix.sh
# The committed reports/matrix/ and README.md's generated sections come from
#   MATRIX_SETUP=0 nice -n 5 timeout 2400 env WIRE_TIMEOUT_MS=10000 adapters/matrix.sh --timeout-ms 3000
# (369 s on the quiet 2-core machine; MATRIX_SETUP=0 skips the set-ups when everything is
# installed and refuses to run when a Rust adapter's binary is missing; WIRE_TIMEOUT_MS=20000 on
# a loaded machine, where 8 s did not cover the drivers' start-up.)
set -euo pipefail
cd "$(dirname "$0")/.."
ADAPTERS="${ADAPTERS:-tgcrypto telethon gramjs grammers kurigram pyrofork pymtproto pymtproto-pyaes telethon-secret-chat ntgcalls teleproto mtcute ferogram mtproto-core}"
cargo build --release --locked -q -p mtproto-harness
bin="${CARGO_TARGET_DIR:-target}/release/mtproto-harness"
args=()
# Each adapter's setup command, run once each (two rows may share one venv), side by side below.
setups=()
add_setup() { local s; for s in "${setups[@]}"; do [ "$s" = "$*" ] && return; done; setups+=("$*"); }
for a in $ADAPTERS; do
  case "$a" in
    tgcrypto|telethon)
      command -v python3 >/dev/null || { echo "matrix: skipping $a (no python3)" >&2; continue; }
      add_setup bash "adapters/$a/setup.sh"
      args+=(--iut "$a=adapters/$a/.venv/bin/python adapters/$a/adapter.py") ;;
    gramjs|teleproto|mtcute|mtproto-core)
      command -v npm >/dev/null || { echo "matrix: skipping $a (no node/npm)" >&2; continue; }
      add_setup bash "adapters/$a/setup.sh"
      args+=(--iut "$a=node adapters/$a/adapter.js") ;;
    grammers)
      command -v cargo >/dev/null || { echo "matrix: skipping $a (no cargo)" >&2; continue; }
      add_setup bash "adapters/$a/setup.sh"
      args+=(--iut "$a=${GRAMMERS_TARGET_DIR:-adapters/grammers/target}/release/mtproto-adapter-grammers") ;;
    kurigram|pyrofork)
      command -v python3 >/dev/null || { echo "matrix: skipping $a (no python3)" >&2; continue; }
      add_setup bash adapters/pyrogram/setup.sh "$a"
      args+=(--iut "$a=adapters/pyrogram/.venv-$a/bin/python adapters/pyrogram/adapter.py") ;;
    pymtproto|pymtproto-pyaes)
      command -v python3 >/dev/null || { echo "matrix: skipping $a (no python3)" >&2; continue; }
      add_setup bash adapters/pymtproto/setup.sh
      backend=tgcrypto; [ "$a" = pymtproto-pyaes ] && backend=pyaes
      args+=(--iut "$a=adapters/pymtproto/.venv/bin/python adapters/pymtproto/adapter.py $backend") ;;
    telethon-secret-chat|ntgcalls)
      command -v python3 >/dev/null || { echo "matrix: skipping $a (no python3)" >&2; continue; }
      add_setup bash "adapters/$a/setup.sh"
      args+=(--iut "$a=adapters/$a/.venv/bin/python adapters/$a/adapter.py") ;;
    ferogram)
      command -v cargo >/dev/null || { echo "matrix: skipping $a (no cargo)" >&2; continue; }
      add_setup bash "adapters/$a/setup.sh"
      args+=(--iut "$a=${FEROGRAM_TARGET_DIR:-adapters/ferogram/target}/release/mtproto-adapter-ferogram") ;;
    *) echo "matrix: unknown adapter $a" >&2; exit 2 ;;
  esac
done
WIRE="${WIRE-telethon:client kurigram:client pyrofork:client pymtproto:client pymtproto:server gramjs:client teleproto:client mtcute:client}"
for w in $WIRE; do
  name="${w%%:*}"; role="${w##*:}"
  case "$role" in client|server) ;; *) echo "matrix: wire driver $w: ROLE is client or server" >&2; exit 2 ;; esac
  case "$name" in
    telethon|kurigram|pyrofork|pymtproto) runtime=python3 ;;
    gramjs|teleproto|mtcute) runtime=npm ;;
    *) echo "matrix: unknown wire driver $name" >&2; exit 2 ;;
  esac
  command -v "$runtime" >/dev/null || { echo "matrix: skipping wire driver $w (no $runtime)" >&2; continue; }
  case "$name:$role" in
    telethon:client)
      add_setup bash adapters/telethon/setup.sh
      cmd="adapters/telethon/.venv/bin/python adapters/telethon/wire_driver.py" ;;
    kurigram:client|pyrofork:client)
      add_setup bash adapters/pyrogram/setup.sh "$name"
      cmd="adapters/pyrogram/.venv-$name/bin/python adapters/pyrogram/wire_driver.py" ;;
    pymtproto:client|pymtproto:server)
      add_setup bash adapters/pymtproto/setup.sh
      cmd="adapters/pymtproto/.venv/bin/python adapters/pymtproto/wire_driver.py"
      [ "$role" = server ] && cmd="$cmd --server" ;;
    gramjs:client|teleproto:client|mtcute:client)
      add_setup bash "adapters/$name/setup.sh"
      cmd="node adapters/$name/wire.js" ;;
    *) echo "matrix: wire driver $name has no $role role" >&2; exit 2 ;;
  esac
  args+=("--wire-$role" "$name=$cmd")
done
args+=(--wire-timeout-ms "${WIRE_TIMEOUT_MS:-10000}")
# Set-ups are mostly downloads and one Rust build: side by side they take the time of the longest.
# MATRIX_SETUP=0 skips them (every venv, node_modules and adapter binary already in place).
if [ "${MATRIX_SETUP:-1}" = 0 ]; then
  setups=()
  # Nothing gets built, so a Rust adapter whose binary is missing would only fill its row with
  # `error` cases: refuse instead.
  for a in "${args[@]}"; do
    case "$a" in
      *=*/release/mtproto-adapter-*)
        [ -x "${a#*=}" ] || {
          echo "matrix: MATRIX_SETUP=0, but ${a%%=*}'s adapter binary ${a#*=} is missing" \
            "(build it with adapters/${a%%=*}/setup.sh, or run without MATRIX_SETUP=0)" >&2
          exit 1
        } ;;
    esac
  done
fi
logs="$(mktemp -d)"
pids=()
for i in "${!setups[@]}"; do
  ( eval "${setups[$i]}" ) >"$logs/$i.log" 2>&1 &
  pids+=("$!")
done
failed=0
for i in "${!setups[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "matrix: set-up failed: ${setups[$i]}" >&2
    tail -n 40 "$logs/$i.log" >&2
    failed=1
  fi
done
rm -rf "$logs"
[ "$failed" = 0 ] || exit 1
# The committed reports/matrix/ also regenerates README.md's matrix table and "What fails" list
# (between their marker lines); a run into MATRIX_OUT (CI's scratch directory) leaves README alone.
readme=()
[ -n "${MATRIX_OUT:-}" ] || readme=(--readme README.md)
"$bin" matrix "${args[@]}" --out "${MATRIX_OUT:-reports/matrix}" "${readme[@]}" "$@"
