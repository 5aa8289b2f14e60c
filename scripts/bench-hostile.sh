#!/usr/bin/env bash
# Runs every file of tests/hostile/ in a child process of its own, under a 1 GiB address-space
# limit and a 5 s CPU limit (prlimit), and prints a table of peak memory (max RSS) and CPU time
# per file, with what the file gave. A benchmark for issue 11, not a test: it prints, it does not
# judge (the replay tests core/tests/hostile*.rs check the outcomes).
#
# The child is the release build of core/tests/hostile.rs, test `probe` (parse, summaries and
# expansion for .ics; the multistatus parser and discovery for .xml; lenient parsing, summaries
# and 3.0 -> 4.0 for .vcf), timed by /usr/bin/time.
#
# Then honest data at scale: a generated calendar of 100,000 events (about 54 MB: zoned
# DTSTART/DTEND and a VTIMEZONE, SUMMARY, LOCATION, an organizer, some DESCRIPTIONs, ATTENDEEs,
# RRULEs with EXDATEs and VALARMs) read three ways, each in a child process of its own
# (bench/benches/scaling.rs, argument `memory <way>`), under the same address-space limit and a
# 60 s CPU limit: its peak RSS against the input size (issue 11 asks at most 3x for parse and
# summarise), the wall time of the read, and the process's CPU time (generating the input
# included).
#
# Then Calendar API pages of hostile JSON (the kinds of tests/hostile/*.json, which hold about
# 1,000 values each) built at 16 MiB and at the default Limits::max_json_values, beside honest
# pages, each one first gcal_sync in a child process (core/tests/hostile_json.rs, test
# `probe`), under 4x the address-space limit and a 60 s CPU limit.
#
# Usage: scripts/bench-hostile.sh [FILE...]   (default: every file of tests/hostile/)
# Environment: AS_LIMIT (bytes, default 1 GiB), CPU_LIMIT (seconds, default 5),
# JSON=0 to skip the JSON pages, SCALE=0 to skip the calendar at scale, WAY=stream to read the
# .ics files with Calendar::parse_summaries (packed, streamed) instead of parse, summaries() and
# expansion, and the .vcf files with VCard::summary_view, each written as JSON (what the npm
# package does).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
AS_LIMIT=${AS_LIMIT:-1073741824}
CPU_LIMIT=${CPU_LIMIT:-5}

for tool in prlimit /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 2; }
done

echo "building the probe (release)..." >&2
bin=$(cargo test --release -p davkit --test hostile --no-run --message-format=json 2>/dev/null |
  grep -o '"executable":"[^"]*/hostile-[^"]*"' | tail -n 1 | sed 's/^"executable":"//; s/"$//')
[ -x "$bin" ] || { echo "could not build the probe" >&2; exit 2; }

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=()
  for f in tests/hostile/*; do
    case "$f" in *.ics | *.xml | *.vcf) files+=("$f") ;; esac
  done
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '| %-44s | %9s | %9s | %7s | %-6s | %s |\n' file bytes "peak RSS" CPU status "what it gave"
echo "|----------------------------------------------|----------:|----------:|--------:|--------|---|"
worst_rss=0
worst_cpu=0
failed=0
for f in "${files[@]}"; do
  set +e
  DAVKIT_HOSTILE_FILE="$f" DAVKIT_HOSTILE_WAY="${WAY:-tree}" prlimit --as="$AS_LIMIT" --cpu="$CPU_LIMIT" \
    /usr/bin/time -o "$tmp/time" -f '%M %U %S %x' \
    "$bin" --ignored --exact probe --nocapture --test-threads=1 >"$tmp/out" 2>"$tmp/err"
  set -e
  read -r rss user sys code < <(grep -E '^[0-9]+ [0-9.]+ [0-9.]+ -?[0-9]+$' "$tmp/time" | tail -n 1)
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  gave=$(grep -o -m1 'PROBE .*' "$tmp/out" | sed 's/^PROBE //; s/ *ok$//' | cut -c1-110 || true)
  if grep -q 'terminated by signal' "$tmp/time"; then
    status="KILLED"
  elif [ "$code" != 0 ] || [ -z "$gave" ]; then
    status="FAILED"
  else
    status="ok"
  fi
  [ "$status" = ok ] || { failed=$((failed + 1)); gave="${gave:-$(tail -n 1 "$tmp/err" | cut -c1-110)}"; }
  [ "$rss" -gt "$worst_rss" ] && worst_rss=$rss
  worst_cpu=$(awk -v a="$worst_cpu" -v b="$cpu" 'BEGIN { print (b > a) ? b : a }')
  printf '| %-44s | %9s | %6d MB | %6ss | %-6s | %s |\n' "$(basename "$f")" "$(stat -c %s "$f")" \
    $(((rss + 1023) / 1024)) "$cpu" "$status" "$gave"
done
echo
echo "${#files[@]} files under a $((AS_LIMIT / 1048576)) MiB / ${CPU_LIMIT} s limit: $failed not ok;" \
  "worst peak RSS $(((worst_rss + 1023) / 1024)) MB, worst CPU ${worst_cpu} s"

if [ "${JSON:-1}" != 0 ]; then
  echo >&2
  echo "building the JSON probe (release)..." >&2
  json_bin=$(cargo test --release -p davkit --test hostile_json --no-run --message-format=json 2>/dev/null |
    grep -o '"executable":"[^"]*/hostile_json-[^"]*"' | tail -n 1 | sed 's/^"executable":"//; s/"$//')
  [ -x "$json_bin" ] || { echo "could not build the JSON probe" >&2; exit 2; }
  echo
  echo "Calendar API pages of hostile JSON (the kinds of tests/hostile/*.json) at 16 MiB, and at"
  echo "the default Limits::max_json_values (a weight of 2,000,000), beside honest pages: one first"
  echo "gcal_sync each, default limits, one child process per row (building a 16 MiB page alone:"
  echo "19-22 MB)."
  echo
  printf '| %-20s | %-17s | %9s | %9s | %9s | %6s | %s |\n' page size bytes weight "peak RSS" CPU "what it gave"
  echo "|----------------------|-------------------|----------:|----------:|----------:|-------:|---|"
  for row in "honest 2,500-events" "honest-bytes 16-MiB" "honest-bytes 2,000,000-weight" \
    "empty-items 16-MiB" "wide-arrays 16-MiB" "one-member-objects 16-MiB" "deep-arrays 16-MiB" \
    "extended-properties 16-MiB" "values-beside-items 16-MiB" "empty-items 2,000,000-weight" \
    "wide-arrays 2,000,000-weight" "one-member-objects 2,000,000-weight" \
    "deep-arrays 2,000,000-weight" "extended-properties 2,000,000-weight" \
    "values-beside-items 2,000,000-weight"; do
    read -r kind size <<<"$row"
    values=
    [ "$size" = 2,000,000-weight ] && values=2000000
    set +e
    DAVKIT_GCAL_PAGE="$kind" DAVKIT_GCAL_VALUES="$values" prlimit --as=$((4 * AS_LIMIT)) --cpu=60 \
      /usr/bin/time -o "$tmp/time" -f '%M %U %S %x' \
      "$json_bin" --ignored --exact probe --nocapture --test-threads=1 >"$tmp/out" 2>"$tmp/err"
    set -e
    read -r rss user sys code < <(grep -E '^[0-9]+ [0-9.]+ [0-9.]+ -?[0-9]+$' "$tmp/time" | tail -n 1)
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    # the child prints: PROBE <kind> <bytes> bytes, <weight> weight: <what it gave>
    line=$(grep -o -m1 'PROBE .*' "$tmp/out" | sed 's/ *ok$//' || true)
    read -r _ _ bytes _ count _ <<<"$line"
    gave=$(echo "$line" | sed 's/^[^:]*: //' | cut -c1-70)
    grep -q 'terminated by signal' "$tmp/time" && gave="KILLED"
    printf '| %-20s | %-17s | %9s | %9s | %6d MB | %5ss | %s |\n' "$kind" "$size" "$bytes" \
      "${count%,}" $(((rss + 1023) / 1024)) "$cpu" "${gave:-FAILED}"
  done
fi

[ "${SCALE:-1}" = 0 ] && exit 0
echo >&2
echo "building the scaling bench (release)..." >&2
scaling=$(cargo bench -p davkit-bench --bench scaling --no-run --message-format=json 2>/dev/null |
  grep -o '"executable":"[^"]*/scaling-[^"]*"' | tail -n 1 | sed 's/^"executable":"//; s/"$//')
[ -x "$scaling" ] || { echo "could not build the scaling bench" >&2; exit 2; }
echo
echo "Honest data at scale: 100,000 generated events, one child process per row."
echo
printf '| %-46s | %8s | %9s | %11s | %12s | %6s | %6s | %s |\n' "read with" events "input MB" "peak RSS MB" "peak / input" "read s" "CPU s" status
echo "|------------------------------------------------|---------:|----------:|------------:|-------------:|-------:|-------:|--------|"
for way in stream parse tree; do
  set +e
  prlimit --as="$AS_LIMIT" --cpu=60 /usr/bin/time -o "$tmp/time" -f '%M %U %S %x' \
    "$scaling" memory "$way" >"$tmp/out" 2>"$tmp/err"
  set -e
  read -r rss user sys code < <(grep -E '^[0-9]+ [0-9.]+ [0-9.]+ -?[0-9]+$' "$tmp/time" | tail -n 1)
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  # the child prints: | what | events | input MB | RSS before | peak RSS | ratio | time |
  IFS='|' read -r _ what events mb _ _ _ took _ <"$tmp/out" || true
  status=ok
  if grep -q 'terminated by signal' "$tmp/time" || [ "$code" != 0 ]; then status=FAILED; fi
  ratio=$(awk -v r="$rss" -v m="${mb:-0}" 'BEGIN { if (m > 0) printf "%.2f", r * 1024 / 1e6 / m; else print "-" }')
  printf '| %-46s | %8s | %9s | %11.1f | %12s | %6s | %6s | %s |\n' "$(echo "$what" | xargs)" \
    "$(echo "$events" | xargs)" "$(echo "$mb" | xargs)" "$(awk -v r="$rss" 'BEGIN { print r * 1024 / 1e6 }')" \
    "$ratio" "$(echo "$took" | xargs)" "$cpu" "$status"
done
