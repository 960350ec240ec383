#!/usr/bin/env bash
# The mutant benchmark: how fast does each fuzz target's oracle notice a planted bug?
#
# For each deliberate bug of harness/mtproto/src/mutants.rs (all when none is named), build the
# targets with the `mutant-bench` feature (once), then run each target that should notice it
# (the table below) with MTPROTO_MUTANT naming it: from an empty corpus, then from the committed
# seeds, one process at a time, at most N seconds each, with the target's dictionary and full
# input lengths from the start (-len_control=0). Prints one
# line per run -- mutant, target, corpus, seconds to the finding (or "-"), the oracle's message --
# and exits 1 if some mutant was not found from an empty corpus by any of its targets.
#
# Usage: fuzz/mutant-bench.sh [--seconds N] [--no-seeds] [--first] [MUTANT...]
#   --seconds N   limit per run (default 60)
#   --no-seeds    only the empty-corpus runs (CI)
#   --first       stop at the first target that finds a mutant from an empty corpus (CI)
# Environment: CARGO_TARGET_DIR as for cargo fuzz; MUTANT_BENCH_LOGS=DIR keeps every run's log.
set -euo pipefail
cd "$(dirname "$0")"

# Which targets should notice each mutant, best first.
killers() {
  case "$1" in
    skip-msg-key) echo envelope_decrypt envelope_roundtrip ;;
    accept-short-padding) echo envelope_parse envelope_decrypt ;;
    accept-long-padding) echo envelope_decrypt envelope_parse ;;
    skip-length-align) echo envelope_parse envelope_decrypt ;;
    swap-x) echo envelope_roundtrip envelope_decrypt ;;
    skip-session-id) echo envelope_roundtrip ;;
    skip-auth-key-id) echo envelope_roundtrip envelope_decrypt ;;
    accept-even-server-msg-id) echo session_client ;;
    newest-only-window) echo session_server session_client ;;
    skip-safe-prime | skip-dh-margin | skip-dh-range | skip-g-generator) echo dh_checks ;;
    skip-new-nonce-hash1) echo handshake_client ;;
    dh-gen-retry-as-ok | retry-id-zero) echo handshake_client handshake_server ;;
    server-retry-id-stale) echo handshake_server ;;
    drop-leading-zero) echo envelope_roundtrip envelope_decrypt ;;
    call-newest-only-window | unmasked-call-seq) echo call_packet ;;
    skip-g-a-hash | emoji-without-mask) echo call_exchange ;;
    rsa-hash-after-parse | skip-rsa-retry | accept-ciphertext-above-n | fingerprint-raw-bytes)
      echo rsa ;;
    key-hash-wrong-slice) echo secret_chat ;;
    accept-wrong-seq-parity | secret-repeat-as-new | skip-in-seq-no-bound | \
      accept-short-random-bytes | swap-secret-x | skip-commit-fingerprint | unsigned-exchange-id)
      echo secret_chat ;;
    *) echo "" ;;
  esac
}

usage() { sed -n '12,16p' "$0" | sed 's/^# \{0,1\}//'; }
seconds=60 seeds=1 first=0 mutants=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) [ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]*$ ]] \
      || { echo "error: --seconds takes a positive whole number" >&2; exit 2; }
      seconds="$2"; shift 2 ;;
    --no-seeds) seeds=0; shift ;;
    --first) first=1; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "error: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) mutants+=("$1"); shift ;;
  esac
done

# Every mutant, as mutants.rs's name table lists them.
all="$(sed -n 's/^    ("\([a-z0-9-]*\)", Mutant::.*/\1/p' ../harness/mtproto/src/mutants.rs)"
[ -n "$all" ] || { echo "error: no mutant names found in harness/mtproto/src/mutants.rs" >&2; exit 2; }
[ ${#mutants[@]} -gt 0 ] || read -r -a mutants <<<"$(echo $all)"
targets_available=" $(cargo +nightly fuzz list | tr '\n' ' ') "
needed=()
for m in "${mutants[@]}"; do
  grep -qx -- "$m" <<<"$all" || { echo "error: $m is not a mutant of harness/mtproto/src/mutants.rs" >&2; exit 2; }
  ks="$(killers "$m")"
  [ -n "$ks" ] || { echo "error: mutant $m has no target in fuzz/mutant-bench.sh's table" >&2; exit 2; }
  for t in $ks; do
    [[ "$targets_available" == *" $t "* ]] || { echo "error: $m names target $t, which cargo fuzz list lacks" >&2; exit 2; }
    [[ " ${needed[*]} " == *" $t "* ]] || needed+=("$t")
  done
done

# One build per target needed (the libraries compile once; only the binaries differ).
for t in "${needed[@]}"; do
  cargo +nightly fuzz build --features mutant-bench "$t" >&2
done
bin_dir="${CARGO_TARGET_DIR:-target}/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
logs="${MUTANT_BENCH_LOGS:-$tmp}"
mkdir -p "$logs"

# run MUTANT TARGET CORPUS-NAME DIR...: one bounded run; prints its line; 0 if it found the bug.
run() {
  local m="$1" t="$2" kind="$3"; shift 3
  local log="$logs/$m.$t.$kind.log" start end rc=0 secs msg
  mkdir -p "$tmp/art"
  start=$(date +%s.%N)
  # -len_control=0: the inputs are structured (arbitrary), and the fields that matter sit past
  # the first bytes; libFuzzer's slow ramp-up of input lengths would only delay reaching them.
  MTPROTO_MUTANT="$m" timeout $((seconds + 60)) "$bin_dir/$t" -max_total_time="$seconds" \
    -len_control=0 -dict="dicts/$t.dict" -artifact_prefix="$tmp/art/" "$@" >"$log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  grep -q "mutant-bench: mutant $m is active" "$log" \
    || { tail -n 20 "$log" >&2; echo "error: $t did not activate $m" >&2; exit 2; }
  if [ "$rc" -ne 0 ] && grep -q 'panicked at' "$log"; then
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    msg="$(grep -A1 -m1 'panicked at' "$log" | tail -n 1 | cut -c1-240)"
    printf '%-26s %-20s %-6s %7s  %s\n' "$m" "$t" "$kind" "$secs" "$msg"
    return 0
  fi
  why="not found in ${seconds} s"
  [ "$rc" -eq 0 ] || why="no oracle panic (exit $rc: $(grep -m1 'ERROR: libFuzzer' "$log" || echo '?'))"
  printf '%-26s %-20s %-6s %7s  %s\n' "$m" "$t" "$kind" "-" "$why"
  return 1
}

printf '%-26s %-20s %-6s %7s  %s\n' mutant target corpus seconds "oracle message"
missed=()
for m in "${mutants[@]}"; do
  found=0
  for t in $(killers "$m"); do
    rm -rf "$tmp/empty" && mkdir -p "$tmp/empty"
    if run "$m" "$t" empty "$tmp/empty"; then found=1; fi
    [ "$first" -eq 1 ] && [ "$found" -eq 1 ] && break
    if [ "$seeds" -eq 1 ]; then
      rm -rf "$tmp/new" && mkdir -p "$tmp/new"
      run "$m" "$t" seeds "$tmp/new" "seeds/$t" || true
    fi
  done
  [ "$found" -eq 1 ] || missed+=("$m")
done
if [ ${#missed[@]} -gt 0 ]; then
  echo "error: not found from an empty corpus within ${seconds} s: ${missed[*]}" >&2
  exit 1
fi
echo "all ${#mutants[@]} mutants found from an empty corpus within ${seconds} s each"
