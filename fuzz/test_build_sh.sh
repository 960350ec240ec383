#!/usr/bin/env bash
# Exercise .clusterfuzzlite/build.sh (also OSS-Fuzz's) without Docker: $SRC, $OUT and $WORK are
# temporary directories, $SRC/mtproto-harness is this checkout, and the parts of the
# base-builder-rust environment build.sh relies on have stand-ins: `cargo` resolving to nightly
# (RUSTUP_TOOLCHAIN), SANITIZER=address, and CARGO_TARGET_DIR pointing at fuzz/target so a tree
# already built by `cargo +nightly fuzz build` (the CI smoke step) is reused instead of rebuilt.
# Then every target `cargo fuzz list` names must have its binary, seed corpus zip (holding every
# committed seed), dictionary and options file in $OUT, and each binary must run its seeds.
# Usage (from anywhere): fuzz/test_build_sh.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export SRC="$tmp/src" OUT="$tmp/out" WORK="$tmp/work"
mkdir -p "$SRC" "$OUT" "$WORK"
ln -s "$repo" "$SRC/mtproto-harness"
export RUSTUP_TOOLCHAIN="${RUSTUP_TOOLCHAIN:-nightly}"
export SANITIZER="${SANITIZER:-address}" FUZZING_ENGINE=libfuzzer FUZZING_LANGUAGE=rust ARCHITECTURE=x86_64
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/fuzz/target}"

# fuzz/oss-fuzz: the clone URL in the Dockerfile is project.yaml's main_repo (both the marker
# SUBMITTER-FILLS until the project has a public home), and every field OSS-Fuzz requires is there.
main_repo="$(sed -n 's/^main_repo: "\(.*\)"$/\1/p' "$repo/fuzz/oss-fuzz/project.yaml")"
[ -n "$main_repo" ] || { echo "error: fuzz/oss-fuzz/project.yaml has no main_repo" >&2; exit 1; }
grep -q "^RUN git clone --depth 1 $main_repo \$SRC/mtproto-harness$" "$repo/fuzz/oss-fuzz/Dockerfile" \
  || { echo "error: fuzz/oss-fuzz/Dockerfile does not clone main_repo ($main_repo)" >&2; exit 1; }
for field in homepage language primary_contact main_repo sanitizers fuzzing_engines; do
  grep -q "^$field:" "$repo/fuzz/oss-fuzz/project.yaml" \
    || { echo "error: fuzz/oss-fuzz/project.yaml lacks $field" >&2; exit 1; }
done
if grep -q SUBMITTER-FILLS "$repo/fuzz/oss-fuzz/project.yaml"; then
  echo "note: fuzz/oss-fuzz/project.yaml still has SUBMITTER-FILLS fields (no public home yet)"
fi

bash "$repo/.clusterfuzzlite/build.sh"

targets="$(cd "$repo/fuzz" && cargo fuzz list)"
n=0
for t in $targets; do
  for f in "$t" "${t}_seed_corpus.zip" "$t.dict" "$t.options"; do
    [ -s "$OUT/$f" ] || { echo "error: build.sh did not produce \$OUT/$f" >&2; exit 1; }
  done
  [ -x "$OUT/$t" ] || { echo "error: \$OUT/$t is not executable" >&2; exit 1; }
  want="$(ls "$repo/fuzz/seeds/$t" | wc -l)"
  have="$(unzip -Z1 "$OUT/${t}_seed_corpus.zip" | wc -l)"
  [ "$have" -ge "$want" ] || { echo "error: ${t}_seed_corpus.zip holds $have inputs, fuzz/seeds/$t has $want" >&2; exit 1; }
  # The binary runs its own seeds (as ClusterFuzzLite does first), with no finding.
  mkdir -p "$WORK/run-$t"
  (cd "$WORK/run-$t" && unzip -q "$OUT/${t}_seed_corpus.zip" && "$OUT/$t" -runs=0 -dict="$OUT/$t.dict" . >"$WORK/$t.log" 2>&1) \
    || { tail -n 30 "$WORK/$t.log"; echo "error: \$OUT/$t fails on its seed corpus" >&2; exit 1; }
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "error: cargo fuzz list named no target" >&2; exit 1; }
echo "build.sh OK: $n targets, each with binary, seed corpus, dictionary and options in \$OUT"
