#!/usr/bin/env bash
# Runs every check and test of davkit, installing what they need first (idempotent; quick when
# everything is already there). This is the README's test command and what .ci/run calls.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never
LOG_DIR=$(mktemp -d)
trap 'rm -rf "$LOG_DIR"' EXIT

step() { printf '\n=== %s\n' "$*"; }

# Runs a test command, keeps its output for the final tally.
tests() {
  local log
  log="$LOG_DIR/$(date +%s%N).log"
  "$@" 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}

step "toolchain"
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown
bash tests/servers/setup-venv.sh

step "format, lints, docs"
cargo fmt --all --check
cargo clippy --workspace --all-targets --features davkit/reqwest -- -D warnings
RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps --features davkit/reqwest --quiet

step "the core is sans-IO: it builds for wasm32 and pulls in no IO crates"
cargo build -p davkit --target wasm32-unknown-unknown --quiet
for target in x86_64-unknown-linux-gnu wasm32-unknown-unknown; do
  deps=$(cargo tree -p davkit -e normal --target "$target" --prefix none --format '{p}' | awk '{print $1}' | sort -u)
  for banned in tokio hyper reqwest wasm-bindgen web-sys js-sys mio; do
    if grep -qx "$banned" <<<"$deps"; then
      echo "the core's normal dependencies ($target) include $banned" >&2
      exit 1
    fi
  done
done
echo "ok: no tokio, hyper, reqwest, wasm-bindgen, web-sys, js-sys or mio in the core"

step "unit tests, recorded vectors, corpus"
tests cargo test --workspace --features davkit/reqwest

step "live tests against Radicale and Xandikos on 127.0.0.1"
tests python3 tests/servers/servers.py --seed run -- \
  cargo test --workspace --features davkit/reqwest -- --ignored

step "summary"
passed=0
failed=0
while read -r p f; do
  passed=$((passed + p))
  failed=$((failed + f))
done < <(cat "$LOG_DIR"/*.log | sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p')
echo "davkit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
