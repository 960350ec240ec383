#!/usr/bin/env bash
# One-command setup: build the adapter (its own Cargo workspace, the ferogram crates pinned in
# Cargo.lock) into adapters/ferogram/target, or into $FEROGRAM_TARGET_DIR when set. The binary is
# then <that dir>/release/mtproto-adapter-ferogram (adapters/matrix.sh uses it).
set -euo pipefail
target="${FEROGRAM_TARGET_DIR:-$(dirname "$0")/target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
cd "$(dirname "$0")"
# RUSTFLAGS, when set, replaces .cargo/config.toml's rustflags: keep the randomness hook in.
if [ -n "${RUSTFLAGS:-}" ]; then export RUSTFLAGS="$RUSTFLAGS --cfg getrandom_backend=\"custom\""; fi
CARGO_TARGET_DIR="$target" cargo build --release --locked --quiet
