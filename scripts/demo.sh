#!/usr/bin/env bash
# The davkit CLI end to end on a fresh machine: builds the CLI, starts a throw-away Radicale on
# 127.0.0.1 with sample calendars and contacts, discovers them, mirrors every collection into a
# folder of .ics/.vcf files, then adds and deletes an event on the server and syncs again.
#
#   bash scripts/demo.sh [OUT_DIR]      # OUT_DIR defaults to ./demo-out (emptied first)
#
# Needs python3 and cargo. The server and its data are removed when the script ends; OUT_DIR stays.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
out="${1:-demo-out}"
case "$out" in
  /*) ;;
  *) out="$PWD/$out" ;;
esac

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Run a setup step quietly; show its output only when it fails.
quiet() {
  if ! "$@" >"$log" 2>&1; then
    echo "demo: '$*' failed:" >&2
    cat "$log" >&2
    exit 1
  fi
}

echo "== preparing: Python venv for the test servers, cargo build -p davkit-cli"
quiet bash tests/servers/setup-venv.sh
quiet cargo build --quiet -p davkit-cli

# Start from an empty folder so the first sync shows everything arriving. Refuse to empty a
# folder that does not look like an earlier demo's output.
if [ -e "$out" ]; then
  if [ -n "$(ls -A "$out" 2>/dev/null)" ] && ! ls -A "$out"/*/.davkit-state.json >/dev/null 2>&1; then
    echo "demo: $out exists and is not a davkit demo folder; pick another OUT_DIR" >&2
    exit 2
  fi
  rm -rf "$out"
fi

export DEMO_OUT="$out"
export DEMO_BIN="$repo/target/debug/davkit"
# servers.py's status lines go to the log (shown if it fails). Inside, the CLI's stderr (its
# errors, and the progress spinner when this runs in a terminal) joins stdout.
status=0
python3 tests/servers/servers.py --no-setup --only radicale --seed run -- bash -c '
  set -euo pipefail
  # Credentials go in through the environment: they never show in `ps` or in the output.
  export DAVKIT_URL="$DAVKIT_RADICALE_URL"
  export DAVKIT_USER="$DAVKIT_RADICALE_USER"
  export DAVKIT_PASSWORD="$DAVKIT_RADICALE_PASSWORD"
  run() { echo; echo "\$ davkit $*"; "$DEMO_BIN" "$@" 2>&1; }

  run discover
  run ls "${DAVKIT_URL}${DAVKIT_USER}/work/"
  run sync --all "$DEMO_OUT"
  echo
  echo "\$ find $DEMO_OUT -type f | sort"
  (cd "$DEMO_OUT" && find . -type f | sort | sed "s|^\./|  |")

  # Change the server: one new event, one deleted; the next sync picks up exactly that.
  event="$(mktemp -d)/team-lunch.ics"
  trap "rm -rf \"$(dirname "$event")\"" EXIT
  printf "%s\r\n" "BEGIN:VCALENDAR" "VERSION:2.0" "PRODID:-//davkit//demo//EN" \
    "BEGIN:VEVENT" "UID:team-lunch@davkit.example" "DTSTAMP:20260101T000000Z" \
    "DTSTART:20260305T120000Z" "DTEND:20260305T130000Z" "SUMMARY:Team lunch" \
    "END:VEVENT" "END:VCALENDAR" >"$event"
  work="${DAVKIT_URL}${DAVKIT_USER}/work/"
  run put "$work" "$event"
  run rm "${work}company-holiday.ics"
  run sync --all "$DEMO_OUT"
  echo
  echo "\$ ls $DEMO_OUT/work"
  ls "$DEMO_OUT/work" | sed "s|^|  |"
' 2>"$log" || status=$?
if [ "$status" -ne 0 ]; then
  echo "demo: failed (exit $status); server log:" >&2
  cat "$log" >&2
  exit "$status"
fi
