#!/usr/bin/env bash
# What a durable export costs (see BENCHMARKS.md): the CLI exporting 120,000 demo
# participants with `--output F` against the same export to `> F`, in the same run:
#
#   durable   this commit's binary, `--output F` (FILE.part, checkpoints, fsync, rename)
#   stdout    this commit's binary, `> F`
#   before    the binary of ef54c70 (the last commit before durable exports), `> F`
#
# Runs are interleaved (durable, stdout, before, durable, ...) so that a neighbour's load
# falls on all three alike; medians of wall time are compared. Prints both ratios and the
# peak RSS of each.
#
#   benches/durable.sh                # 7 runs each, 120,000 participants
#   RUNS=3 PARTICIPANTS=10000 benches/durable.sh
#
# The old binary is built once, in a temporary git worktree with its own target directory,
# and kept in target/durable-bench/ for later runs.
set -euo pipefail

RUNS=${RUNS:-7}
PARTICIPANTS=${PARTICIPANTS:-120000}
BEFORE=ef54c70

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
work=$target/durable-bench
mkdir -p "$work"

echo "== building this commit ($(git rev-parse --short HEAD)) in release" >&2
cargo build --release --quiet
new=$target/release/zoom-participants

old=$work/before-$BEFORE/release/zoom-participants
if [[ ! -x $old ]]; then
    echo "== building $BEFORE in a temporary worktree (once)" >&2
    tree=$(mktemp -d "${TMPDIR:-/tmp}/zp-$BEFORE.XXXXXX")
    rmdir "$tree"
    git worktree add --quiet --detach "$tree" "$BEFORE"
    if ! CARGO_TARGET_DIR=$work/before-$BEFORE cargo build --release --quiet \
        --manifest-path "$tree/Cargo.toml"; then
        git worktree remove --force "$tree"
        exit 1
    fi
    git worktree remove --force "$tree"
fi

out=$work/out
mkdir -p "$out"
args=(--demo --demo-participants "$PARTICIPANTS")

# One timed run; "seconds max_rss_kb" goes to $out/time.txt.
timed() {
    /usr/bin/time -f '%e %M' -o "$out/time.txt" "$@"
}

run_durable() {
    rm -f "$out/durable.ndjson" "$out/durable.ndjson.part" "$out/durable.ndjson.part.checkpoint"
    timed "$new" "${args[@]}" --output "$out/durable.ndjson"
}
run_stdout() { timed "$new" "${args[@]}" > "$out/stdout.ndjson"; }
run_before() { timed "$old" "${args[@]}" > "$out/before.ndjson"; }

declare -A seconds rss
for kind in durable stdout before; do
    seconds[$kind]=""
    rss[$kind]=""
done
# One unmeasured round warms the page cache and the binaries.
run_durable > /dev/null
run_stdout > /dev/null
run_before > /dev/null
for ((i = 1; i <= RUNS; i++)); do
    for kind in durable stdout before; do
        "run_$kind"
        read -r s kb < "$out/time.txt"
        seconds[$kind]+="$s "
        rss[$kind]+="$kb "
        echo "run $i $kind: $s s, $kb kB" >&2
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# The same rows from this binary either way; ef54c70 encodes the same number of rows its
# own way (typed, not passed through), so only its line count is compared.
lines=$(wc -l < "$out/durable.ndjson")
if ! cmp -s "$out/durable.ndjson" "$out/stdout.ndjson"; then
    echo "warning: --output F and > F wrote different bytes" >&2
fi
if [[ $(wc -l < "$out/before.ndjson") != "$lines" ]]; then
    echo "warning: ef54c70 wrote $(wc -l < "$out/before.ndjson") lines, this commit $lines" >&2
fi

d=$(median <<< "${seconds[durable]}")
s=$(median <<< "${seconds[stdout]}")
b=$(median <<< "${seconds[before]}")
echo "commit $(git rev-parse --short HEAD), $PARTICIPANTS participants ($lines lines), $RUNS runs each, medians:"
for kind in durable stdout before; do
    printf '  %-8s %6.2f s  peak RSS %6.1f MiB  (runs: %s)\n' "$kind" \
        "$(median <<< "${seconds[$kind]}")" \
        "$(median <<< "${rss[$kind]}" | awk '{print $1 / 1024}')" "${seconds[$kind]}"
done
awk -v d="$d" -v s="$s" -v b="$b" 'BEGIN {
    printf "RATIO durable: --output F / same binary > F = %.3f\n", d / s
    printf "RATIO durable: --output F / ef54c70 > F = %.3f\n", d / b
}'
