#!/usr/bin/env bash
# Network benchmark: davkit's native client against libdav on live Radicale, Xandikos and DAViCal,
# on loopback and through tests/servers/shaper.py (30 ms round trip, 50 Mbit/s down,
# 10 Mbit/s up). Prints one markdown table per server and link (step | davkit ms | davkit
# requests | libdav ms | libdav requests) on stdout; progress and errors go to stderr.
#
#   scripts/bench-network.sh [--only radicale|xandikos|davical|cyrus[,...]] [--npm | --npm-first | --fresh | --npm-only | --side-by-side]
#
# --npm also runs bench/npm/network.mjs: the npm package (npm/dist, built with
# `node npm/scripts/build.mjs` first if missing) against tsdav, same steps, same servers and
# data, same tables; --npm-only runs just that. --npm runs the native bench first and the npm one
# after it; --npm-first the other way round. Each bench changes 20 events before each run's
# incremental sync (160 changes: a warm-up and 3 runs on 2 links), so the one that runs second
# meets servers holding more changes (Xandikos commits each to git; DAViCal's tables grow), which
# moves its figures by more than the two clients differ. --fresh runs the native bench and then
# the npm one each on servers started and seeded for it alone (two seedings, about a minute
# each): the side-by-side that compares the clients and not the servers' histories.
# --side-by-side runs the npm bench alone with the native client as its third client
# (DAVKIT_BENCH_NATIVE=1: bench/npm/network.mjs drives the native bench in its serving mode,
# bench/benches/network/serve.rs): npm package, tsdav and native client take each step in turn on
# the same servers in one run, and the table has an npm/native column. This is the run that
# compares the npm package with the native core (the others compare each with its peer); libdav
# is not in it.
#
# What it does: builds the bench (`cargo bench -p davkit-bench --bench network --no-run`;
# the first build of its dependencies takes a few minutes), starts throw-away servers with
# tests/servers/servers.py, seeds DAVKIT_BENCH_EVENTS (1,000) events into a calendar on each
# with bench/seed_events.py, all at once (Radicale: one whole-calendar PUT; Xandikos and DAViCal:
# one PUT per event, Xandikos commits each to git; DAViCal's is carol's calendar, since the events
# name alice as organizer and DAViCal would schedule alice's; each takes 25-40 s alone here,
# all three at once on a busy 2-core VM up to 2.3 minutes (Radicale 115 s, Xandikos 134 s)),
# then runs the bench, which does the rest (see bench/benches/network/: steps, medians, counting, the shaper). The servers
# and their data are deleted afterwards.
#
# Knobs (environment, read by the bench): DAVKIT_BENCH_LINK=loopback|shaped|both,
# DAVKIT_BENCH_RUNS (3), DAVKIT_BENCH_CHANGES (20), DAVKIT_BENCH_SHAPER_ARGS (e.g.
# "--rtt-ms 100"), DAVKIT_BENCH_LOG=1 (every request on stderr).
#
# This is a benchmark, not a test: scripts/test.sh does not run it.
set -euo pipefail
cd "$(dirname "$0")/.."

only=(--only radicale,xandikos,davical,cyrus)
rust=1
npm=0
npm_first=0
fresh=0
side=0
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only=(--only "$2"); shift 2 ;;
    --npm) npm=1; shift ;;
    --npm-only) npm=1; rust=0; shift ;;
    --npm-first) npm=1; npm_first=1; shift ;;
    --fresh) npm=1; fresh=1; shift ;;
    --side-by-side) npm=1; side=1; shift ;;
    *) echo "usage: $0 [--only radicale|xandikos|davical|cyrus[,...]] [--npm | --npm-first | --fresh | --npm-only | --side-by-side]" >&2; exit 2 ;;
  esac
done
export DAVKIT_BENCH_EVENTS="${DAVKIT_BENCH_EVENTS:-1000}" BENCH_RUST=$rust BENCH_NPM=$npm BENCH_NPM_FIRST=$npm_first

if [ "$rust" = 1 ] || [ "$side" = 1 ]; then
  cargo bench -q -p davkit-bench --bench network --no-run
fi
if [ "$npm" = 1 ]; then
  [ -d bench/npm/node_modules/tsdav ] || (cd bench/npm && npm ci --no-audit --no-fund >&2)
  if [ ! -f npm/dist/node.js ]; then
    [ -d npm/node_modules ] || (cd npm && npm ci --no-audit --no-fund >&2)
    node npm/scripts/build.mjs >&2
  fi
fi

# Starts throw-away servers, seeds them, runs the benches BENCH_RUST / BENCH_NPM (in the order
# BENCH_NPM_FIRST says) on them, and deletes them.
on_fresh_servers() {
python3 tests/servers/servers.py "${only[@]}" run -- bash -c '
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
  if [ -n "${DAVKIT_DAVICAL_URL:-}" ]; then
    python3 bench/seed_events.py "${DAVKIT_DAVICAL_URL}${DAVKIT_DAVICAL_USER3}/bench/" \
      --user "$DAVKIT_DAVICAL_USER3" --password "$DAVKIT_DAVICAL_PASSWORD3" \
      --count "$DAVKIT_BENCH_EVENTS" >&2 &
    pids+=($!)
  fi
  if [ -n "${DAVKIT_CYRUS_URL:-}" ]; then
    python3 bench/seed_events.py "${DAVKIT_CYRUS_URL}dav/calendars/user/${DAVKIT_CYRUS_USER3}/bench/" \
      --user "$DAVKIT_CYRUS_USER3" --password "$DAVKIT_CYRUS_PASSWORD3" \
      --count "$DAVKIT_BENCH_EVENTS" >&2 &
    pids+=($!)
  fi
  for p in "${pids[@]}"; do wait "$p"; done
  if [ "$BENCH_NPM_FIRST" = 1 ]; then node bench/npm/network.mjs; fi
  if [ "$BENCH_RUST" = 1 ]; then cargo bench -q -p davkit-bench --bench network; fi
  if [ "$BENCH_NPM" = 1 ] && [ "$BENCH_NPM_FIRST" != 1 ]; then node bench/npm/network.mjs; fi
'
}

if [ "$side" = 1 ]; then
  DAVKIT_BENCH_NATIVE=1 BENCH_RUST=0 BENCH_NPM=1 BENCH_NPM_FIRST=0 on_fresh_servers
elif [ "$fresh" = 1 ]; then
  # Each bench on servers of its own, started and seeded for it: neither meets the other's changes.
  BENCH_RUST=1 BENCH_NPM=0 BENCH_NPM_FIRST=0 on_fresh_servers
  BENCH_RUST=0 BENCH_NPM=1 BENCH_NPM_FIRST=0 on_fresh_servers
else
  on_fresh_servers
fi
