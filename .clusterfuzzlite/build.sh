#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build: every cargo-fuzz target of fuzz/ into $OUT, each with its seed
# corpus ($OUT/<target>_seed_corpus.zip, from fuzz/seeds/<target>/ and fuzz/regressions/<target>/)
# and dictionary ($OUT/<target>.dict). Runs in gcr.io/oss-fuzz-base/base-builder-rust, where
# `cargo` is a nightly toolchain and $SANITIZER says which sanitizer to build with; tested here by
# fuzz/test_build_sh.sh with stand-ins for that environment.
cd "$SRC/mtproto-harness/fuzz"

# Optimised, with debug assertions and overflow checks (what `cargo fuzz build` does by default,
# so the local smoke build is reused). The sanitizer comes from the environment; cargo-fuzz knows
# address, memory, thread and leak, and for OSS-Fuzz's coverage (and undefined) builds the
# instrumentation comes from the environment's RUSTFLAGS, so cargo-fuzz adds none.
case "${SANITIZER:-address}" in
  address|memory|thread|leak) sanitizer="${SANITIZER:-address}" ;;
  *) sanitizer=none ;;
esac
cargo fuzz build -O --debug-assertions --sanitizer "$sanitizer"

target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
bin_dir="$target_dir/$(rustc -vV | sed -n 's/^host: //p')/release"
for target in $(cargo fuzz list); do
  cp "$bin_dir/$target" "$OUT/$target"
  cp "dicts/$target.dict" "$OUT/$target.dict"
  printf '[libfuzzer]\ndict = %s.dict\n' "$target" > "$OUT/$target.options"
  corpus="$WORK/seeds-$target"
  rm -rf "$corpus"
  mkdir -p "$corpus"
  cp seeds/"$target"/* "$corpus"/
  if [ -d "regressions/$target" ]; then
    cp regressions/"$target"/* "$corpus"/
  fi
  (cd "$corpus" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
done
