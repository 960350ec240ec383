#!/usr/bin/env bash
# exec/s of each fuzz target: N seconds from its committed seeds with its dictionary, one process
# at a time, the load average (uptime) before each run. Prints the target, exec/s (wall clock, as
# libFuzzer counts it), executions per CPU-second of the process (user time: what an unloaded
# core would give, roughly, since on a shared machine wall-clock exec/s falls with the load), and
# the load.
#
# Usage: fuzz/speed.sh [--seconds N] [--mutant-bench] [TARGET...]
#   --seconds N      per target (default 10)
#   --mutant-bench   time the `mutant-bench` feature build (no mutant named) instead of the
#                    normal one; both live in the same place, so this builds the one asked for
# Environment: CARGO_TARGET_DIR as for cargo fuzz.
set -euo pipefail
cd "$(dirname "$0")"
usage() { sed -n '5,9p' "$0" | sed 's/^# \{0,1\}//'; }
seconds=10 features=() targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) [ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]*$ ]] \
      || { echo "error: --seconds takes a positive whole number" >&2; exit 2; }
      seconds="$2"; shift 2 ;;
    --mutant-bench) features=(--features mutant-bench); shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "error: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || read -r -a targets <<<"$(cargo +nightly fuzz list | tr '\n' ' ')"
cargo +nightly fuzz build "${features[@]}" >&2
bin_dir="${CARGO_TARGET_DIR:-target}/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
printf '%-24s %8s %10s  %s\n' target "exec/s" "exec/cpu-s" "load (1 min)"
for t in "${targets[@]}"; do
  [ -x "$bin_dir/$t" ] || { echo "error: no binary $bin_dir/$t" >&2; exit 2; }
  load="$(uptime | sed 's/.*load average: \([0-9.]*\).*/\1/')"
  rm -rf "$tmp/new" && mkdir -p "$tmp/new"
  /usr/bin/time -f '%U' -o "$tmp/cpu" timeout $((seconds + 120)) "$bin_dir/$t" \
    -max_total_time="$seconds" -print_final_stats=1 -dict="dicts/$t.dict" \
    -artifact_prefix="$tmp/" "$tmp/new" "seeds/$t" >"$tmp/log" 2>&1 \
    || {
      # The panic (or sanitizer report) is above libFuzzer's final statistics: show it, and keep
      # the input that did it (the run's scratch directory is removed on exit).
      grep -m 1 -A 6 -E "panicked at|ERROR: (AddressSanitizer|libFuzzer)" "$tmp/log" >&2 \
        || tail -n 30 "$tmp/log" >&2
      kept="$(mktemp -d "${TMPDIR:-/tmp}/speed-$t.XXXXXX")"
      cp "$tmp"/crash-* "$tmp"/timeout-* "$tmp"/oom-* "$kept"/ 2>/dev/null || true
      echo "error: $t failed; its input (if libFuzzer wrote one) is kept in $kept" >&2
      exit 1
    }
  eps="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$tmp/log")"
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/log")"
  cpu="$(tail -n 1 "$tmp/cpu")"
  per_cpu="$(awk -v r="${runs:-0}" -v c="$cpu" 'BEGIN { if (c > 0) printf "%d", r / c; else print "?" }')"
  printf '%-24s %8s %10s  %s\n' "$t" "${eps:-?}" "$per_cpu" "$load"
done
