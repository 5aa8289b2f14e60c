#!/usr/bin/env bash
# Memory benchmark: peak memory of an initial sync of 10,000 events and of 2,000 contacts with
# photos, one-shot and in batches, for the native client (peak RSS of a child process per
# configuration, minus a child doing discovery only) and, with --npm, the npm package
# (process.memoryUsage() heap and RSS sampled per batch). Prints markdown tables on stdout;
# progress goes to stderr.
#
#   scripts/bench-memory.sh [--npm | --npm-only]
#
# It builds the bench (`cargo bench -p davkit-bench --bench memory --no-run`), starts a
# throw-away Radicale with tests/servers/servers.py, writes the collections straight into its
# storage folder with tests/servers/bulk_seed.py (about a second, where PUTs would take
# minutes), and runs bench/benches/memory.rs (and bench/npm/memory.mjs). Knobs:
# DAVKIT_MEMORY_EVENTS (10000), DAVKIT_MEMORY_CONTACTS (2000), DAVKIT_MEMORY_PHOTO_BYTES
# (20000), DAVKIT_MEMORY_BATCHES (250,1000), DAVKIT_MEMORY_RUNS (3), DAVKIT_MEMORY_BODIES
# (chunks,whole: bodies read as they arrive, and whole as other hosts hand them over).
#
# This is a benchmark, not a test: scripts/test.sh does not run it. Plan on 5-10 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

rust=1
npm=0
while [ $# -gt 0 ]; do
  case "$1" in
    --npm) npm=1; shift ;;
    --npm-only) npm=1; rust=0; shift ;;
    *) echo "usage: $0 [--npm | --npm-only]" >&2; exit 2 ;;
  esac
done
export BENCH_RUST=$rust BENCH_NPM=$npm
export DAVKIT_MEMORY_EVENTS="${DAVKIT_MEMORY_EVENTS:-10000}"
export DAVKIT_MEMORY_CONTACTS="${DAVKIT_MEMORY_CONTACTS:-2000}"
export DAVKIT_MEMORY_PHOTO_BYTES="${DAVKIT_MEMORY_PHOTO_BYTES:-20000}"

if [ "$rust" = 1 ]; then
  # The bench binary is run directly (not through cargo), so no build lock is waited on
  # while the server runs.
  DAVKIT_MEMORY_BIN=$(cargo bench -q -p davkit-bench --bench memory --no-run --message-format=json |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "memory":
        print(m["executable"])')
  export DAVKIT_MEMORY_BIN
fi
if [ "$npm" = 1 ] && [ ! -f npm/dist/node.js ]; then
  [ -d npm/node_modules ] || (cd npm && npm ci --no-audit --no-fund >&2)
  node npm/scripts/build.mjs >&2
fi

exec python3 tests/servers/servers.py --only radicale run -- bash -c '
  set -euo pipefail
  u="$DAVKIT_RADICALE_USER"
  # Radicale makes the principal folder on first login: log in once before writing under it.
  curl -s -o /dev/null -u "$u:$DAVKIT_RADICALE_PASSWORD" -X PROPFIND -H "Depth: 0" "${DAVKIT_RADICALE_URL}$u/"
  python3 tests/servers/bulk_seed.py "$DAVKIT_RADICALE_STORAGE" "$u" memory-events \
    --events "$DAVKIT_MEMORY_EVENTS" >&2
  python3 tests/servers/bulk_seed.py "$DAVKIT_RADICALE_STORAGE" "$u" memory-contacts \
    --contacts "$DAVKIT_MEMORY_CONTACTS" --photo-bytes "$DAVKIT_MEMORY_PHOTO_BYTES" >&2
  # Radicale parses every item once for its cache on the first request that needs them (a
  # minute or more here): do it before the clients, whose requests would time out.
  t0=$SECONDS
  for c in memory-events memory-contacts; do
    curl -s -o /dev/null -u "$u:$DAVKIT_RADICALE_PASSWORD" -X REPORT -H "Depth: 1" \
      -H "Content-Type: application/xml" --max-time 1800 \
      --data "<sync-collection xmlns=\"DAV:\"><sync-token/><sync-level>1</sync-level><prop><getetag/></prop></sync-collection>" \
      "${DAVKIT_RADICALE_URL}$u/$c/"
  done
  echo "bench-memory: Radicale warmed its caches in $((SECONDS - t0)) s" >&2
  export DAVKIT_MEMORY_CALENDAR="${DAVKIT_RADICALE_URL}$u/memory-events/"
  export DAVKIT_MEMORY_ADDRESSBOOK="${DAVKIT_RADICALE_URL}$u/memory-contacts/"
  if [ "$BENCH_RUST" = 1 ]; then "$DAVKIT_MEMORY_BIN" --bench; fi
  if [ "$BENCH_NPM" = 1 ]; then node bench/npm/memory.mjs; fi
'
