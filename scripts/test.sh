#!/usr/bin/env bash
# Runs every check and test of davkit, installing what they need first (idempotent; quick when
# everything is already there). This is the README's test command and what .ci/run calls.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TERM_COLOR=never
# Every build here starts from a clean target directory in CI: incremental compilation only adds
# its bookkeeping, and full debug info is written and linked but never read (line tables keep
# backtraces' file:line). Measured on the 2-core VM, the workspace's test build from clean:
# 230 s of CPU and 4.1 GB with the dev defaults, 175 s and 1.6 GB with these two settings.
export CARGO_INCREMENTAL=0 CARGO_PROFILE_DEV_DEBUG=line-tables-only
LOG_DIR=$(mktemp -d)
START=$(date +%s)

step() { printf '\n=== %s (%ss)\n' "$*" "$(($(date +%s) - START))"; }

# The two tools compiled from crates.io (wasm-bindgen-cli, uniffi-bindgen: 6-7 minutes of
# compiling on a fresh 2-core machine) are built in the background from the start, at the
# lowest CPU priority, on the CPU the steps below leave idle; test-wasm.sh and test-mobile.sh
# wait for them when they get there (scripts/tools.sh).
# In a process group of its own (setsid), so that an early exit stops its cargo runs too.
setsid bash scripts/tools.sh background >"$LOG_DIR/tools.txt" 2>&1 &
TOOLS_PID=$!
trap 'kill -- "-$TOOLS_PID" 2>/dev/null || true; rm -rf "$LOG_DIR"' EXIT

# Runs a test command, keeps its output for the final tally.
tests() {
  local log
  log="$LOG_DIR/$(date +%s%N).log"
  "$@" 2>&1 | tee "$log"
  return "${PIPESTATUS[0]}"
}

step "toolchain"
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown
# The servers' venv (pip downloads, about 30 s when new) is made while the lints run; the live
# tests wait for it.
bash tests/servers/setup-venv.sh >"$LOG_DIR/venv.txt" 2>&1 &
VENV_PID=$!

step "format, lints, docs"
cargo fmt --all --check
# uniffi-bindgen (a three-line main over uniffi's generator) is built by scripts/test-mobile.sh
# in a cargo run of its own, so that its generator features do not unify into the library;
# leaving it out here also saves its long build.
cargo clippy --workspace --exclude uniffi-bindgen --all-targets --features davkit/reqwest -- -D warnings
RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --exclude uniffi-bindgen --no-deps --features davkit/reqwest --quiet
# The fuzz targets are a crate of their own, run only by scripts/fuzz.sh (nightly, DAVKIT_LONG):
# checked here so that a change to the core's API cannot leave them broken unseen (about 20 s).
cargo check --manifest-path fuzz/Cargo.toml --quiet

step "the core and its formats crate are sans-IO: they build for wasm32 and pull in no IO crates"
cargo build -p davkit -p davkit-formats --target wasm32-unknown-unknown --quiet
for pkg in davkit davkit-formats; do
  for target in x86_64-unknown-linux-gnu wasm32-unknown-unknown; do
    deps=$(cargo tree -p "$pkg" -e normal --target "$target" --prefix none --format '{p}' | awk '{print $1}' | sort -u)
    for banned in tokio hyper reqwest wasm-bindgen web-sys js-sys mio uniffi; do
      if grep -qx "$banned" <<<"$deps"; then
        echo "$pkg's normal dependencies ($target) include $banned" >&2
        exit 1
      fi
    done
  done
done
# The formats stand alone: davkit depends on davkit-formats, never the other way round.
if cargo tree -p davkit-formats -e normal --prefix none --format '{p}' | awk '{print $1}' | grep -qx davkit; then
  echo "davkit-formats depends on davkit" >&2
  exit 1
fi
echo "ok: no tokio, hyper, reqwest, wasm-bindgen, web-sys, js-sys, mio or uniffi in davkit or davkit-formats; davkit-formats does not depend on davkit"

step "unit tests, recorded vectors, corpus"
tests cargo test --workspace --exclude davkit-bench --exclude uniffi-bindgen --features davkit/reqwest

wait "$VENV_PID" || { cat "$LOG_DIR/venv.txt" >&2; exit 1; }
cat "$LOG_DIR/venv.txt"

step "live tests against Radicale, Xandikos, DAViCal, Cyrus, SOGo and Apache mod_auth_digest (Digest) on 127.0.0.1"
# digest-proxy.sh puts Debian's Apache with mod_auth_digest in front of the Radicale
# (installing apache2 when missing) for core/tests/digest_live.rs. servers.py installs
# DAViCal's, Cyrus's and SOGo's Debian packages when missing (once, about 35 s each); DAVKIT_REQUIRE_LIVE=1 makes a
# DAViCal that cannot be installed a failure instead of a skip.
tests env DAVKIT_REQUIRE_LIVE=1 python3 tests/servers/servers.py --seed run -- bash scripts/digest-proxy.sh \
  cargo test --workspace --exclude davkit-bench --exclude uniffi-bindgen --features davkit/reqwest -- --ignored

step "npm package: WebAssembly build, node and Chromium tests (scripts/test-wasm.sh)"
tests bash scripts/test-wasm.sh

step "mobile bindings: Python and Kotlin suites, Swift API (scripts/test-mobile.sh)"
tests bash scripts/test-mobile.sh

if [ "${DAVKIT_LONG:-0}" = 1 ]; then
  # The long runs, kept out of the default command (they take about an hour and a half):
  # 100,000 simulation seeds, and every fuzz target for FUZZ_SECONDS (600) under
  # -rss_limit_mb=512 -timeout=2.
  step "long runs (DAVKIT_LONG=1): simulation, 100,000 seeds, 60,000 offline-queue, 200,000 scheduling and 200,000 Calendar API histories"
  tests env SIM_SEEDS="${SIM_SEEDS:-100000}" SIM_QUEUE_SEEDS="${SIM_QUEUE_SEEDS:-60000}" \
    SIM_SCHED_SEEDS="${SIM_SCHED_SEEDS:-200000}" SIM_GCAL_SEEDS="${SIM_GCAL_SEEDS:-200000}" \
    cargo test --release -p davkit --test sim
  step "long runs (DAVKIT_LONG=1): fuzz targets (scripts/fuzz.sh)"
  bash scripts/fuzz.sh
fi

step "summary"
if ! wait "$TOOLS_PID"; then
  # a failed background build has already been redone (and passed) by the step that needed it
  echo "note: the background build of the tools failed; the steps that needed them built them:"
  tail -5 "$LOG_DIR/tools.txt"
fi
# Every runner's own closing lines, added up: cargo's "test result", node's "ℹ pass/fail",
# unittest's "Ran N tests" with "OK"/"FAILED (...)", Maven Surefire's totals, Swift API checks.
python3 - "$LOG_DIR" <<'PY'
import glob, re, sys
passed = failed = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.log")):
    text = open(path, errors="replace").read()
    for p, f in re.findall(r"^test result: \w+\. (\d+) passed; (\d+) failed", text, re.M):
        passed += int(p); failed += int(f)
    for n in re.findall(r"^\S* ?pass (\d+)$", text, re.M):
        passed += int(n)
    for n in re.findall(r"^\S* ?fail (\d+)$", text, re.M):
        failed += int(n)
    for ran in re.findall(r"^Ran (\d+) tests?", text, re.M):
        bad = sum(int(x) for x in re.findall(r"^FAILED \((?:failures=(\d+))?(?:, )?(?:errors=(\d+))?", text, re.M)[-1] if x) if re.search(r"^FAILED", text, re.M) else 0
        passed += int(ran) - bad; failed += bad
    totals = re.findall(r"Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)$", text, re.M)
    if totals:
        run, fails, errors, skipped = map(int, totals[-1])
        passed += run - fails - errors - skipped; failed += fails + errors
    for n in re.findall(r"^ok: (\d+) Swift API checks", text, re.M):
        passed += int(n)
    for n in re.findall(r"^ok: (\d+) mobile targets compile", text, re.M):
        passed += int(n)
print(f"davkit: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
