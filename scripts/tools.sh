#!/usr/bin/env bash
# The two build tools the tests compile from crates.io, each installed or built once and only when
# missing or out of date (idempotent):
#   wasm-bindgen    wasm-bindgen-cli at exactly bindings-wasm/Cargo.lock's wasm-bindgen version,
#                   into cargo's bin directory (scripts/test-wasm.sh; about 4 minutes cold);
#   uniffi-bindgen  the workspace's uniffi-bindgen crate (debug) into <target>/tools, a target
#                   directory of its own, so this build never waits for, or blocks, the cargo
#                   runs of the tests on the main target directory (scripts/test-mobile.sh;
#                   about 2-3 minutes cold). Prints the binary's path on its last line.
#   background      both, one after the other, at the lowest CPU priority: scripts/test.sh starts
#                   this first, so the two builds use the CPU its other steps leave idle (test
#                   runs, live servers, installs) instead of adding their minutes to the run.
# Each tool is built under a lock (flock), so a caller that needs a tool while the background
# job is still building it waits for that build and then finds the tool there, instead of
# building it a second time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never

target_dir() {
  if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    realpath -m "$CARGO_TARGET_DIR"
  else
    cargo metadata --locked --format-version 1 --no-deps |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])'
  fi
}

# Runs the rest of the command line holding the lock file $1 (created with its directory).
locked() {
  local lock=$1
  shift
  mkdir -p "$(dirname "$lock")"
  flock "$lock" "$@"
}

wasm_bindgen() {
  local version
  version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' bindings-wasm/Cargo.lock)
  if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $version" ]; then
    # Not --locked: its lockfile pins a webpki-roots release this registry does not have.
    cargo install wasm-bindgen-cli@"$version"
  fi
  echo "wasm-bindgen $version"
}

uniffi_bindgen() {
  local dir
  dir="$(target_dir)/tools"
  # A cargo run of its own (and a target directory of its own): built with the library, cargo
  # would unify uniffi's features and link uniffi_bindgen (the `cli` feature) into it.
  cargo build --locked --quiet -p uniffi-bindgen --target-dir "$dir"
  echo "$dir/debug/uniffi-bindgen"
}

case "${1:-}" in
  wasm-bindgen)
    locked "${CARGO_HOME:-$HOME/.cargo}/.davkit-wasm-bindgen.lock" bash "$0" --unlocked wasm-bindgen ;;
  uniffi-bindgen)
    locked "$(target_dir)/tools/.davkit-uniffi-bindgen.lock" bash "$0" --unlocked uniffi-bindgen ;;
  background)
    # nice 19: the tests' own steps keep the CPU whenever they want it.
    nice -n 19 bash "$0" wasm-bindgen
    nice -n 19 bash "$0" uniffi-bindgen ;;
  --unlocked)
    case "${2:-}" in
      wasm-bindgen) wasm_bindgen ;;
      uniffi-bindgen) uniffi_bindgen ;;
    esac ;;
  *)
    echo "usage: $0 wasm-bindgen | uniffi-bindgen | background" >&2
    exit 2 ;;
esac
