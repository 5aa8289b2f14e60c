#!/usr/bin/env bash
# Builds and tests the npm package `davkit` (bindings-wasm + npm/), installing what it needs
# first (idempotent; quick when everything is there):
#   rustup's wasm32 target and rust-src (npm/scripts/build.mjs rebuilds the standard library
#   for size for the wasm builds), wasm-bindgen-cli at exactly the lockfile's wasm-bindgen version,
#   Debian's chromium (for the browser tests; never a downloaded browser), npm devDependencies.
# Then: fmt and clippy of the wasm crate, its unit tests, the package build (cargo ->
# wasm-bindgen -> npm binaryen's wasm-opt) into npm/dist/, and every `node --test` suite in
# npm/test/ (vector replay, size budget, package, bundlers with their default configuration for
# the four entries,
# live Radicale, browser) under a Radicale started by tests/servers/servers.py (one file at a
# time: they share the server).
# The output ends with node's test summary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
step() { printf '\n=== %s (%ds)\n' "$*" "$(($(date +%s) - start))"; }

step "toolchain"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^rust-src' || rustup component add rust-src
# (or waits for scripts/test.sh's background build of it, then finds it there)
bash scripts/tools.sh wasm-bindgen
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
/usr/bin/chromium --version
# nginx, the compressing proxy of npm/test/browser-http.test.mjs (Debian's nginx-light; not
# started as a service, the test runs its own on 127.0.0.1).
if [ ! -x /usr/sbin/nginx ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
fi
lock_hash=$(sha256sum npm/package-lock.json | cut -c1-16)
if [ "$(cat npm/node_modules/.davkit-lock 2>/dev/null || true)" != "$lock_hash" ]; then
  (cd npm && npm ci --no-audit --no-fund)
  echo "$lock_hash" > npm/node_modules/.davkit-lock
fi
bash tests/servers/setup-venv.sh

step "format and lints of bindings-wasm"
# A workspace of its own (its Cargo.lock pins idna_adapter 1.0; see its Cargo.toml), built into
# the repository's target directory. Not --locked: a dependency the core gains is added to its
# lock on the way (the versions already locked stay), so the pin must be checked.
wasm_crate=(--manifest-path bindings-wasm/Cargo.toml)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo fmt "${wasm_crate[@]}" --all --check
cargo clippy "${wasm_crate[@]}" --workspace --all-targets -- -D warnings
cargo clippy "${wasm_crate[@]}" --target wasm32-unknown-unknown -- -D warnings
# (every feature: the module of `davkit/gcal`), and the other modules the package ships: the
# protocol-only module of `davkit/protocol` (the client feature alone), the formats-only module
# of `davkit/formats` (the formats feature alone), and `davkit`'s two (the client with its
# one-at-a-time DAV calls and OAuth; the formats, queue and scheduling decisions without a client)
cargo clippy "${wasm_crate[@]}" --target wasm32-unknown-unknown --no-default-features --features client -- -D warnings
cargo clippy "${wasm_crate[@]}" --target wasm32-unknown-unknown --no-default-features --features formats -- -D warnings
cargo clippy "${wasm_crate[@]}" --target wasm32-unknown-unknown --no-default-features --features client,dav-calls,oauth -- -D warnings
cargo clippy "${wasm_crate[@]}" --target wasm32-unknown-unknown --no-default-features --features steps -- -D warnings
cargo test "${wasm_crate[@]}" --workspace --quiet
if ! grep -A1 '^name = "idna_adapter"$' bindings-wasm/Cargo.lock | grep -q '^version = "1\.0\.'; then
  echo "bindings-wasm/Cargo.lock must pin idna_adapter 1.0 (cd bindings-wasm && cargo update -p idna_adapter --precise 1.0.0)" >&2
  exit 1
fi

step "build npm/dist"
node npm/scripts/build.mjs

step "node --test (vectors, size, package, bundlers, live Radicale, browser)"
python3 tests/servers/servers.py --only radicale --seed run -- \
  node --test --test-concurrency=1 --test-reporter=spec npm/test/*.test.mjs
