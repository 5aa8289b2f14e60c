#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ with bounded memory and time per input
# (-rss_limit_mb=512 -timeout=2), each for FUZZ_SECONDS, seeded from tests/corpus, tests/vectors
# and tests/hostile, and prints a table: target, seconds, executions, exec/s, corpus size and
# outcome (ok / crash / oom / timeout / leak with the artifact path). Exits non-zero on any finding.
#
# Not part of scripts/test.sh: a fuzz run takes minutes per target.
#
# Usage: scripts/fuzz.sh [TARGET...]      (default: every target of fuzz/Cargo.toml)
# Environment:
#   FUZZ_SECONDS    seconds per target (default 600)
#   FUZZ_PARALLEL   how many targets run at once (default 1; each is one libFuzzer process)
#   FUZZ_SANITIZER  cargo-fuzz sanitizer: address (default) or none
#   FUZZ_NICE       nice level of the fuzzers (default 19)
#   FUZZ_ARGS       more libFuzzer flags for every target
#
# Needs the nightly toolchain (`rustup toolchain install nightly`); installs cargo-fuzz when
# missing. Corpora grow in fuzz/corpus/<target>/ (kept between runs), findings land in
# fuzz/artifacts/<target>/, logs in fuzz/target/logs/<target>.log; none of them is committed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
FUZZ_SECONDS=${FUZZ_SECONDS:-600}
FUZZ_PARALLEL=${FUZZ_PARALLEL:-1}
FUZZ_SANITIZER=${FUZZ_SANITIZER:-address}
FUZZ_NICE=${FUZZ_NICE:-19}
FUZZ_ARGS=${FUZZ_ARGS:-}
RSS_LIMIT_MB=512
TIMEOUT_S=2
# AddressSanitizer holds freed memory in a quarantine (256 MB by default), which counts towards
# the RSS limit: a smaller one keeps the limit about what the code under test holds.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16}

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: needs the nightly toolchain: rustup toolchain install nightly" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz..." >&2
  cargo install cargo-fuzz --locked
fi

all_targets=$(cd fuzz && cargo +nightly fuzz list)
if [ "$#" -gt 0 ]; then
  targets=("$@")
  for t in "${targets[@]}"; do
    grep -qx "$t" <<<"$all_targets" || { echo "fuzz.sh: no target '$t' (have: $(echo $all_targets))" >&2; exit 2; }
  done
else
  mapfile -t targets <<<"$all_targets"
fi

# -O: release; -a: debug assertions (integer overflow checks) on.
echo "fuzz.sh: building ${targets[*]} (sanitizer $FUZZ_SANITIZER)..." >&2
for t in "${targets[@]}"; do
  nice -n "$FUZZ_NICE" cargo +nightly fuzz build -O -a -s "$FUZZ_SANITIZER" "$t" >&2
done
bindir=$(ls -d fuzz/target/*/release | head -n 1)

# Maximum input length per target (libFuzzer cuts longer seeds).
max_len() {
  case "$1" in
    rrule) echo 1024 ;;
    *) echo 65536 ;;
  esac
}

# Copies the seed files that fit into the target's corpus (named by content, so reruns add
# nothing twice).
add_seed() { # corpus-dir file
  local size
  size=$(stat -c %s "$2")
  [ "$size" -gt 0 ] && [ "$size" -le "$(max_len "$(basename "$1")")" ] || return 0
  cp "$2" "$1/seed-$(sha1sum "$2" | cut -c1-16)"
}

files_of() { # dir... ; extension
  local ext=${*: -1}
  find "${@:1:$#-1}" -type f -name "*.$ext" 2>/dev/null | sort
}

# The exchanges of a tests/vectors case in the format of fuzz/fuzz_targets/common/exchange.rs:
# a config record (key: value lines), then one record per response, records separated by
# "\n%%\n".
vector_to_exchange() { # json-file
  python3 scripts/fuzz_seeds.py exchange "$1"
}

# Multistatus bodies of the vectors (207 answers).
vector_bodies() { # json-file out-prefix
  python3 scripts/fuzz_seeds.py bodies "$1" "$2"
}

# The expand target reads 32 option bytes, then the calendar (see fuzz_targets/expand.rs).
# Seeds: all-zero options (the defaults over 2025) and one with small budgets and a wide window.
expand_headers=(
  "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
  "\\x01\\x10\\x00\\x20\\x00\\x00\\x04\\x00\\x80\\xff\\xff\\x00\\x00\\x00\\x70\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
)

seed() { # target corpus-dir
  local t=$1 dir=$2 f tmp
  tmp=$(mktemp -d)
  case "$t" in
    contentline)
      for f in $(files_of tests/corpus tests/hostile ics) $(files_of tests/corpus tests/hostile vcf); do add_seed "$dir" "$f"; done ;;
    icalendar | summaries)
      for f in $(files_of tests/corpus tests/hostile ics); do add_seed "$dir" "$f"; done ;;
    vcard)
      for f in $(files_of tests/corpus tests/hostile vcf); do add_seed "$dir" "$f"; done ;;
    rrule)
      local i=0
      files_of tests/corpus tests/hostile ics | xargs grep -ah '^RRULE:' 2>/dev/null | tr -d '\r' |
        sed 's/^RRULE://' | sort -u | head -n 2000 | while IFS= read -r line; do
          i=$((i + 1)); printf '%s' "$line" >"$tmp/rrule-$i"; add_seed "$dir" "$tmp/rrule-$i"
        done ;;
    expand)
      local h n=0
      for f in $(files_of tests/corpus tests/hostile ics); do
        for h in "${expand_headers[@]}"; do
          n=$((n + 1)); { printf "$h"; cat "$f"; } >"$tmp/expand-$n"; add_seed "$dir" "$tmp/expand-$n"
        done
      done ;;
    json)
      for f in $(files_of tests/vectors json) $(files_of tests/vectors/interop txt); do add_seed "$dir" "$f"; done ;;
    multistatus)
      for f in $(files_of tests/hostile xml); do add_seed "$dir" "$f"; done
      if command -v python3 >/dev/null; then
        for f in $(files_of tests/vectors json); do
          vector_bodies "$f" "$tmp/$(basename "$f" .json)"
        done
        for f in "$tmp"/*; do [ -f "$f" ] && add_seed "$dir" "$f"; done
      fi ;;
    discover | sync)
      command -v python3 >/dev/null || { echo "fuzz.sh: no python3: $t starts from an empty corpus" >&2; return 0; }
      local pattern='"op": *"discover"' dirs=(tests/vectors/discovery tests/vectors/providers)
      if [ "$t" = sync ]; then
        pattern='"op": *"(sync|sync_batch|create_object|update_object|delete_object|post_object)"'
        dirs=(tests/vectors/sync tests/vectors/objects tests/vectors/providers)
      fi
      for f in $(files_of "${dirs[@]}" json); do
        if grep -qE "$pattern" "$f"; then
          vector_to_exchange "$f" >"$tmp/$(basename "$f" .json)" && add_seed "$dir" "$tmp/$(basename "$f" .json)"
        fi
      done ;;
    gcal)
      command -v python3 >/dev/null || { echo "fuzz.sh: no python3: $t starts from an empty corpus" >&2; return 0; }
      for f in $(files_of tests/vectors/gcal json); do
        if grep -qE '"op": *"gcal_(sync|insert|patch|delete)"' "$f"; then
          vector_to_exchange "$f" >"$tmp/$(basename "$f" .json)" && add_seed "$dir" "$tmp/$(basename "$f" .json)"
        fi
      done ;;
    queue)
      # Each queue vector as its configuration (profile, policy, the steps without their
      # exchanges) and the answers of its flushes, in order.
      command -v python3 >/dev/null || { echo "fuzz.sh: no python3: $t starts from an empty corpus" >&2; return 0; }
      for f in $(files_of tests/queue-vectors json); do
        python3 scripts/fuzz_seeds.py queue "$f" >"$tmp/$(basename "$f" .json)"
        add_seed "$dir" "$tmp/$(basename "$f" .json)"
      done ;;
    schedule)
      command -v python3 >/dev/null || { echo "fuzz.sh: no python3: $t starts from an empty corpus" >&2; return 0; }
      for f in $(files_of tests/vectors/schedule tests/vectors/gcal-scheduling json); do
        if grep -qE '"op": *"(respond|pending_invitations|gcal_respond|gcal_free_busy)"' "$f"; then
          vector_to_exchange "$f" >"$tmp/$(basename "$f" .json)" && add_seed "$dir" "$tmp/$(basename "$f" .json)"
        elif grep -qE '"op": *"itip_apply"' "$f"; then
          # op: itip, then the first message and the stored event as two records
          python3 scripts/fuzz_seeds.py itip "$f" >"$tmp/$(basename "$f" .json)"
          add_seed "$dir" "$tmp/$(basename "$f" .json)"
        fi
      done ;;
  esac
  rm -rf "$tmp"
}

mkdir -p fuzz/corpus fuzz/artifacts fuzz/target/logs
results=$(mktemp)
trap 'rm -f "$results"' EXIT

# CPU seconds (user + system) one input takes when replayed alone.
replay_cpu() { # target artifact
  local f
  [ -x /usr/bin/time ] || { echo 999; return; }
  f=$(mktemp)
  /usr/bin/time -f '%U %S' -o "$f" "$bindir/$1" "$2" >/dev/null 2>&1 || true
  awk '{ printf "%.2f", $1 + $2 }' "$f"
  rm -f "$f"
}

run_one() { # target
  local t=$1 dir="fuzz/corpus/$1" art="fuzz/artifacts/$1/" log="fuzz/target/logs/$1.log"
  mkdir -p "$dir" "$art"
  : >"$log"
  seed "$t" "$dir"
  local start now left rc execs=0 n outcome="" artifact="" slow="" restarts=0
  start=$(date +%s)
  left=$FUZZ_SECONDS
  # libFuzzer's -timeout is wall-clock time: on a loaded machine (the fuzzers run at nice 19) an
  # input can pass it without being slow. A timeout is replayed alone and counts as a finding
  # only when it takes TIMEOUT_S of CPU time or more; otherwise it is listed and fuzzing goes on.
  while [ "$left" -gt 0 ]; do
    rc=0
    # shellcheck disable=SC2086
    nice -n "$FUZZ_NICE" "$bindir/$t" "$dir" \
      -rss_limit_mb=$RSS_LIMIT_MB -timeout=$TIMEOUT_S -max_total_time="$left" \
      -max_len="$(max_len "$t")" -artifact_prefix="$art" -print_final_stats=1 $FUZZ_ARGS \
      >"$log.part" 2>&1 || rc=$?
    cat "$log.part" >>"$log"
    n=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log.part" | tail -n 1 | grep -o '[0-9]*$' || true)
    [ -n "$n" ] || n=$(grep -oE '^#[0-9]+' "$log.part" | tail -n 1 | tr -d '#' || true)
    execs=$((execs + ${n:-0}))
    artifact=$(grep -o 'Test unit written to [^ ]*' "$log.part" | tail -n 1 | sed 's/^Test unit written to //' || true)
    now=$(date +%s)
    left=$((FUZZ_SECONDS - (now - start)))
    if grep -q 'ERROR: libFuzzer: timeout' "$log.part" && [ -n "$artifact" ]; then
      local cpu
      cpu=$(replay_cpu "$t" "$artifact")
      if awk -v c="$cpu" -v l="$TIMEOUT_S" 'BEGIN { exit !(c < l) }'; then
        slow="$slow ${artifact##*/}:${cpu}s"
        echo "fuzz.sh: $t: wall-clock timeout, replay takes ${cpu}s CPU: not a finding, going on" >&2
        # A corpus input with the same bytes would time out again at every restart.
        for f in "$dir"/*; do cmp -s "$f" "$artifact" && mv "$f" "$art/slow-${f##*/}"; done
        restarts=$((restarts + 1))
        [ "$restarts" -lt 50 ] && continue
        outcome="timeout $artifact (50 wall-clock timeouts under load)"
      else
        outcome="timeout $artifact (replay ${cpu}s CPU)"
      fi
    elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log.part"; then outcome="oom $artifact"
    elif grep -q 'ERROR: LeakSanitizer' "$log.part"; then outcome="leak $artifact"
    elif [ "$rc" -ne 0 ]; then outcome="crash ${artifact:-(exit $rc, see $log)}"
    fi
    break
  done
  rm -f "$log.part"
  now=$(date +%s)
  local secs=$((now - start)) corpus rate=0
  corpus=$(find "$dir" -type f | wc -l)
  [ "$secs" -gt 0 ] && rate=$((execs / secs))
  [ -n "$outcome" ] || outcome="ok"
  [ -z "$slow" ] || outcome="$outcome (load timeouts, under ${TIMEOUT_S}s CPU alone:$slow)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$secs" "$execs" "$rate" "$corpus" "$outcome" >>"$results"
  echo "fuzz.sh: $t: $outcome" >&2
}

echo "fuzz.sh: ${#targets[@]} target(s), ${FUZZ_SECONDS}s each, $FUZZ_PARALLEL at a time," \
  "-rss_limit_mb=$RSS_LIMIT_MB -timeout=$TIMEOUT_S" >&2
running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$FUZZ_PARALLEL" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

echo
printf '| %-12s | %7s | %12s | %7s | %7s | %s |\n' target seconds executions "exec/s" corpus outcome
echo "|--------------|--------:|-------------:|--------:|--------:|---------|"
findings=0
while IFS=$'\t' read -r t s e r c o; do
  printf '| %-12s | %7s | %12s | %7s | %7s | %s |\n' "$t" "$s" "$e" "$r" "$c" "$o"
  case "$o" in ok | "ok (load timeouts"*) ;; *) findings=$((findings + 1)) ;; esac
done < <(sort "$results")
echo
if [ "$findings" -gt 0 ]; then
  echo "fuzz.sh: $findings finding(s); replay one with: fuzz/target/*/release/<target> <artifact>" >&2
  exit 1
fi
