#!/usr/bin/env bash
# The CLI's peak resident set size (see BENCHMARKS.md): a durable export of 1,000,000 demo
# participants (`--output F`) against the same export to `> F` of the same binary, in the
# same run, measured with `/usr/bin/time -v` (Debian: `apt-get install time`). Runs are
# interleaved; medians.
#
#   benches/rss.sh                    # 3 runs each, 1,000,000 participants
#   RUNS=5 PARTICIPANTS=100000 benches/rss.sh
set -euo pipefail

RUNS=${RUNS:-3}
PARTICIPANTS=${PARTICIPANTS:-1000000}

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
out=$target/rss-bench
mkdir -p "$out"

echo "== building this commit ($(git rev-parse --short HEAD)) in release" >&2
# A target directory shared with other checkouts holds whichever binary was linked last:
# touching the binary's root makes cargo link this checkout's; a copy is measured.
touch src/main.rs
cargo build --release --quiet
bin=$out/zoom-participants
cp "$target/release/zoom-participants" "$bin"
args=(--demo --demo-participants "$PARTICIPANTS")

# One run under `time -v`, its standard output to $1: prints "max_rss_kb seconds".
measure() {
    local to=$1
    shift
    /usr/bin/time -v -o "$out/time.txt" "$@" > "$to"
    awk -F': ' '/Maximum resident set size/ {kb = $2}
        /Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]}
        END {print kb, s}' "$out/time.txt"
}

durable_kb=()
stdout_kb=()
durable_s=()
stdout_s=()
for ((i = 1; i <= RUNS; i++)); do
    rm -f "$out/durable.ndjson" "$out/durable.ndjson.part" "$out/durable.ndjson.part.checkpoint"
    read -r kb s < <(measure /dev/null "$bin" "${args[@]}" --output "$out/durable.ndjson")
    durable_kb+=("$kb")
    durable_s+=("$s")
    echo "run $i --output F: $kb kB, $s s" >&2
    read -r kb s < <(measure "$out/stdout.ndjson" "$bin" "${args[@]}")
    stdout_kb+=("$kb")
    stdout_s+=("$s")
    echo "run $i > F:        $kb kB, $s s" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
dk=$(median "${durable_kb[@]}")
sk=$(median "${stdout_kb[@]}")
ds=$(median "${durable_s[@]}")
ss=$(median "${stdout_s[@]}")
lines=$(wc -l < "$out/durable.ndjson")
cmp -s "$out/durable.ndjson" "$out/stdout.ndjson" || echo "warning: the two exports differ" >&2
echo "commit $(git rev-parse --short HEAD), $PARTICIPANTS participants ($lines lines), $RUNS runs each, medians:"
awk -v dk="$dk" -v sk="$sk" -v ds="$ds" -v ss="$ss" 'BEGIN {
    printf "  --output F  peak RSS %7.1f MiB (%d kB), %6.2f s\n", dk / 1024, dk, ds
    printf "  > F         peak RSS %7.1f MiB (%d kB), %6.2f s\n", sk / 1024, sk, ss
    printf "RATIO rss: --output F / > F = %.3f (peak RSS); wall %.3f\n", dk / sk, ds / ss
}'
