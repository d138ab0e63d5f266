#!/usr/bin/env bash
# Measures the scaling table of README.md ("Speed"): events per second and peak memory for
# 10k / 100k / 1M jobs on 1k / 10k / 100k GPUs, underloaded and overloaded, with and without
# preemption, each run end to end with every output file written
# (`slicesim run FILE --out DIR --quiet --set workload.max_jobs=N`). Prints a markdown table.
#
#   scripts/scaling.sh [-o OLD_BIN] [-n COUNTS] [-s ROWS] [-r REPEAT] [-b] [BIN]
#
#   BIN        the slicesim binary to measure (default target/release/slicesim; build it with
#              `cargo build --release --locked`)
#   -o OLD_BIN also run this binary (e.g. the previous release) right after each run of BIN
#              and add its wall / CPU seconds and whether its jobs.csv is the same byte for byte
#   -n COUNTS  job counts, space- or comma-separated (default "10000 100000 1000000"); a
#              count above a scenario's own `max_jobs` is skipped for that scenario
#   -s ROWS    which rows, comma-separated (default all): bench-100k, bench-1m,
#              bench-100k-gpus, bench-overload, bench-overload-never (bench-overload with every
#              priority class `preemption_policy: Never`)
#   -r REPEAT  runs per cell, the fastest (least wall time) kept (default 1)
#   -b         pass --no-baseline (no exclusive baseline simulation for report.html's seed
#              claims; the table then times the run alone)
#
# Columns: events of the run (and of the exclusive baseline, a second simulation that
# report.html's seed claims compare with), wall and user CPU seconds and peak RSS from
# /usr/bin/time, events/s = all events simulated (run + baseline) per wall second, the rate
# `slicesim run` prints. Measure on an idle machine: on a shared one compare CPU seconds.
# Needs /usr/bin/time and jq (without them it exits 77, skipped). tests/scaling_script.rs runs it
# with a few hundred jobs. Example (the full table takes several minutes):
#   cargo build --release --locked && cp target/release/slicesim /tmp/slicesim-new
#   scripts/scaling.sh -o /tmp/slicesim-old /tmp/slicesim-new > /tmp/scaling.md
set -euo pipefail
cd "$(dirname "$0")/.."

old=""
counts="10000 100000 1000000"
rows="bench-100k,bench-1m,bench-100k-gpus,bench-overload,bench-overload-never"
repeat=1
baseline=()
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while getopts "o:n:s:r:bh" opt; do
  case $opt in
    o) old=$OPTARG ;;
    n) counts=${OPTARG//,/ } ;;
    s) rows=$OPTARG ;;
    r) repeat=$OPTARG ;;
    b) baseline=(--no-baseline) ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
bin=${1:-target/release/slicesim}

for tool in /usr/bin/time jq; do
  command -v "$tool" >/dev/null 2>&1 || { echo "skipped: scaling.sh needs $tool" >&2; exit 77; }
done
for b in "$bin" ${old:+"$old"}; do
  [ -x "$b" ] || { echo "scaling.sh: $b: not an executable (see -h)" >&2; exit 2; }
done
[[ $repeat =~ ^[1-9][0-9]*$ ]] || { echo "scaling.sh: -r $repeat: expected a count >= 1" >&2; exit 2; }
for n in $counts; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "scaling.sh: -n: \`$n\` is not a job count" >&2; exit 2; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

never=()
for c in high mid low; do
  never+=(--set "priority_classes.$c.preemption_policy=Never")
done

# run BIN SCENARIO JOBS DIR EXTRA...: the fastest of $repeat runs; sets wall cpu rss events
# base_events (empty without a baseline) and leaves the outputs of the last run in DIR.
run() {
  local b=$1 file=$2 jobs=$3 dir=$4
  shift 4
  local best="" i line
  for ((i = 0; i < repeat; i++)); do
    rm -rf "$dir"
    if ! /usr/bin/time -f '%e %U %M' -o "$tmp/time" "$b" run "$file" --out "$dir" --quiet \
      "${baseline[@]}" --set "workload.max_jobs=$jobs" "$@" >/dev/null 2>"$tmp/err"; then
      echo "scaling.sh: $b run $file (max_jobs=$jobs) failed:" >&2
      cat "$tmp/err" >&2
      exit 1
    fi
    line=$(tail -n 1 "$tmp/time")
    if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
      best=$line
      events=$(sed -n 's/^\([0-9][0-9]*\) events in .*/\1/p' "$tmp/err" | tail -n 1)
      base_events=$(sed -n "s/.*the exclusive baseline's \([0-9][0-9]*\) events included.*/\1/p" "$tmp/err" | tail -n 1)
    fi
  done
  read -r wall cpu rss <<<"$best"
}

# 1234567 -> 1,234,567
commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }

header="| scenario | jobs | GPUs | load | preemption | events (run + baseline) | pending at horizon | wall s | CPU s | events/s | peak RSS |"
rule="|---|---|---|---|---|---|---|---|---|---|---|"
if [ -n "$old" ]; then
  header+=" before: wall s | before: CPU s | same jobs.csv |"
  rule+="---|---|---|"
fi
echo "$header"
echo "$rule"

IFS=, read -r -a wanted <<<"$rows"
for row in "${wanted[@]}"; do
  extra=()
  case $row in
    bench-100k | bench-1m | bench-100k-gpus) file=scenarios/$row.yaml load=under pre=on ;;
    bench-overload) file=scenarios/bench-overload.yaml load=over pre=on ;;
    bench-overload-never)
      file=scenarios/bench-overload.yaml load=over pre=off
      extra=("${never[@]}")
      ;;
    *) echo "scaling.sh: -s: unknown row \`$row\`" >&2; exit 2 ;;
  esac
  cap=$(sed -n 's/^ *max_jobs: *\([0-9][0-9]*\).*/\1/p' "$file" | head -n 1)
  for n in $counts; do
    if [ -n "$cap" ] && [ "$n" -gt "$cap" ]; then
      continue
    fi
    run "$bin" "$file" "$n" "$tmp/new" "${extra[@]}"
    gpus=$(jq '[.pools[].gpus] | add' "$tmp/new/summary.json")
    pending=$(jq '.jobs.pending' "$tmp/new/summary.json")
    all=$((events + ${base_events:-0}))
    ev=$(commas "$events")
    [ -n "$base_events" ] && ev+=" + $(commas "$base_events")"
    rate=$(awk -v e="$all" -v w="$wall" 'BEGIN { printf "%.2f M", e / (w > 0.005 ? w : 0.005) / 1e6 }')
    name=$row
    [ "$row" = bench-overload-never ] && name="bench-overload, every class Never"
    line="| \`$name\` | $(commas "$n") | $(commas "$gpus") | $load | $pre | $ev | $(commas "$pending") | $wall | $cpu | $rate | $((rss / 1024)) MB |"
    if [ -n "$old" ]; then
      new_wall=$wall new_cpu=$cpu
      run "$old" "$file" "$n" "$tmp/old" "${extra[@]}"
      same=no
      cmp -s "$tmp/new/jobs.csv" "$tmp/old/jobs.csv" && same=yes
      line+=" $wall | $cpu | $same |"
      wall=$new_wall cpu=$new_cpu
    fi
    echo "$line"
    rm -rf "$tmp/new" "$tmp/old"
  done
done
