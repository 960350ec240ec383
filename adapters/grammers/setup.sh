#!/usr/bin/env bash
# One-command setup: build the adapter (its own Cargo workspace, the grammers crates pinned in
# Cargo.lock) into adapters/grammers/target, or into $GRAMMERS_TARGET_DIR when set. The binary is
# then <that dir>/release/mtproto-adapter-grammers (adapters/matrix.sh uses it).
set -euo pipefail
target="${GRAMMERS_TARGET_DIR:-$(dirname "$0")/target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
cd "$(dirname "$0")"
# RUSTFLAGS, when set, replaces .cargo/config.toml's rustflags: keep the randomness hook in.
if [ -n "${RUSTFLAGS:-}" ]; then export RUSTFLAGS="$RUSTFLAGS --cfg getrandom_backend=\"custom\""; fi
CARGO_TARGET_DIR="$target" cargo build --release --locked --quiet
