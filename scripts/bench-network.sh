#!/usr/bin/env bash
# Network benchmark: davkit's native client against libdav on live Radicale and Xandikos,
# on loopback and through tests/servers/shaper.py (30 ms round trip, 50 Mbit/s down,
# 10 Mbit/s up). Prints one markdown table per server and link (step | davkit ms | davkit
# requests | libdav ms | libdav requests) on stdout; progress and errors go to stderr.
#
#   scripts/bench-network.sh [--only radicale|xandikos]
#
# What it does: builds the bench (`cargo bench -p davkit-bench --bench network --no-run`;
# the first build of its dependencies takes a few minutes), starts throw-away servers with
# tests/servers/servers.py, seeds DAVKIT_BENCH_EVENTS (1,000) events into a calendar on each
# with bench/seed_events.py (Radicale: one whole-calendar PUT, about a second; Xandikos: one
# PUT per event, about 30 s, since it commits each to git), then runs the bench, which does
# the rest (see bench/benches/network.rs: steps, medians, counting, the shaper). The servers
# and their data are deleted afterwards.
#
# Knobs (environment, read by the bench): DAVKIT_BENCH_LINK=loopback|shaped|both,
# DAVKIT_BENCH_RUNS (3), DAVKIT_BENCH_CHANGES (20), DAVKIT_BENCH_SHAPER_ARGS (e.g.
# "--rtt-ms 100"), DAVKIT_BENCH_LOG=1 (every request on stderr).
#
# This is a benchmark, not a test: scripts/test.sh does not run it.
set -euo pipefail
cd "$(dirname "$0")/.."

only=()
if [ "${1:-}" = "--only" ] && [ -n "${2:-}" ]; then
  only=(--only "$2")
fi
export DAVKIT_BENCH_EVENTS="${DAVKIT_BENCH_EVENTS:-1000}"

cargo bench -q -p davkit-bench --bench network --no-run

exec python3 tests/servers/servers.py "${only[@]}" run -- bash -c '
  set -euo pipefail
  pids=()
  if [ -n "${DAVKIT_RADICALE_URL:-}" ]; then
    python3 bench/seed_events.py "${DAVKIT_RADICALE_URL}${DAVKIT_RADICALE_USER}/bench/" \
      --user "$DAVKIT_RADICALE_USER" --password "$DAVKIT_RADICALE_PASSWORD" \
      --count "$DAVKIT_BENCH_EVENTS" --whole >&2 &
    pids+=($!)
  fi
  if [ -n "${DAVKIT_XANDIKOS_URL:-}" ]; then
    python3 bench/seed_events.py "${DAVKIT_XANDIKOS_URL}user/calendars/bench/" \
      --count "$DAVKIT_BENCH_EVENTS" >&2 &
    pids+=($!)
  fi
  for p in "${pids[@]}"; do wait "$p"; done
  cargo bench -q -p davkit-bench --bench network
'
