#!/usr/bin/env bash
# The CLI against an outside floor (see BENCHMARKS.md, "Against curl"): 120,000
# participants as 400 static pages of 300 (about 125 MB of JSON) served by nginx on
# loopback, `next_page_token` linking the files, fetched in the same run by
#   (a) one `curl` process fetching the same 400 URLs over one keep-alive connection
#       (`-o /dev/null` for each), the floor; and for reference the same writing each page
#       into a file of its own (`curl_files`: the same bytes to disk as an export);
#   (b) `zoom-participants --rate-limit off --base-url http://127.0.0.1:PORT/v2`, NDJSON
#       into a file with `--output F` (the durable export), with the default read-ahead and
#       with `--prefetch 1`, `2` and `4`, and once the default into `> F`.
# Rounds are interleaved (one run of each command per round, after one unmeasured
# round); medians of RUNS rounds; wall time from `date +%s%N`, peak RSS from
# `/usr/bin/time -f %M` (Debian: `apt-get install time`). Needs nginx
# (`apt-get install nginx-light`), run as this user's own process with its own config in a
# temporary directory on a free port, and python3 to write the pages.
#
#   benches/curl_floor.sh                 # RUNS=3
#   RUNS=5 benches/curl_floor.sh
set -euo pipefail

RUNS=${RUNS:-3}
PAGES=400
PER_PAGE=300

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "nginx is missing: apt-get install -y nginx-light" >&2; exit 1; }

work=$(mktemp -d /tmp/zoom-curl-floor.XXXXXX)
chmod 755 "$work"
cleanup() {
    if [ -f "$work/nginx.pid" ]; then kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== building this commit ($(git rev-parse --short HEAD)) in release" >&2
# A target directory shared with other checkouts holds whichever binary was linked last,
# and cargo does not link it again when its own build is fresh: touching the binary's
# root makes it link this checkout's. The copy is taken at once, so that another build
# cannot swap it mid-run.
touch src/main.rs
cargo build --release --quiet --bin zoom-participants
bin=$work/zoom-participants
cp "$target/release/zoom-participants" "$bin"

echo "== writing $PAGES pages of $PER_PAGE participants" >&2
mkdir -p "$work/pages"
python3 - "$work/pages" "$PAGES" "$PER_PAGE" <<'PY'
import json, random, sys
out, pages, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(42)
names = ["Ana María Pérez", "Björk Guðmundsdóttir", "محمد علي", "李小龙", "Line \"Quote\" Break",
         "O'Brien, Pat", "Zoë Ünal", "Jean-Luc Picard", "Ngũgĩ wa Thiong'o", "Plain Name"]
for p in range(pages):
    rows = []
    for i in range(per):
        n = p * per + i
        rows.append({
            "id": f"p{n:x}a", "user_id": str(16778240 + n), "user_name": f"{names[n % 10]} {n}",
            "device": ["Windows", "Mac", "iOS", "Android", "Linux"][n % 5],
            "ip_address": f"198.51.{n % 256}.{(n * 7) % 256}",
            "internal_ip_addresses": [f"10.0.{n % 256}.{(n * 3) % 256}"],
            "location": "San Jose (US)", "network_type": ["Wired", "Wifi", "Cellular", "PPP"][n % 4],
            "microphone": "Plantronics BT600", "camera": "FaceTime HD Camera",
            "speaker": "Plantronics BT600", "data_center": "SC",
            "connection_type": ["P2P", "UDP", "TCP"][n % 3],
            "join_time": f"2026-01-01T12:{n % 60:02d}:{(n * 7) % 60:02d}.{n % 1000:03d}Z",
            "leave_time": f"2026-01-01T13:{n % 60:02d}:{(n * 11) % 60:02d}.{n % 1000:03d}Z",
            "share_application": n % 3 == 0, "share_desktop": n % 2 == 0,
            "share_whiteboard": False, "recording": n % 5 == 0,
            "status": ["in_meeting", "in_waiting_room"][n % 2], "pc_name": f"PC-{n}",
            "domain": "example.com", "mac_addr": f"00:0a:95:9d:{n % 256:02x}:{(n >> 8) % 256:02x}",
            "harddisk_id": f"HD{n:08d}", "version": "6.2.5.40000",
            "leave_reason": f"{n} left.<br>Reason: \"quotes\", commas",
            "role": ["attendee", "panelist", "host", "attendee"][n % 4],
            "email": f"user{n}@example.com" if n % 7 else "",
            "audio_quality": "good", "video_quality": "fair", "screen_share_quality": "good",
            "customer_key": f"ck{n}", "participant_user_id": f"u{n:x}",
            "participant_uuid": f"uuid-{n:x}-{rng.randrange(1 << 32):08x}",
            "os": "Windows", "os_version": "10.0.19045", "device_name": f"Device {n}",
            "client": "Zoom Workplace", "has_archiving": False,
            "bo_mtg_id": "",
        })
    body = {"page_count": pages, "page_size": per, "total_records": pages * per,
            "next_page_token": str(p + 1) if p + 1 < pages else "", "participants": rows}
    with open(f"{out}/p{p}.json", "w") as f:
        json.dump(body, f, ensure_ascii=False, separators=(",", ":"))
PY
bytes=$(cat "$work"/pages/*.json | wc -c)

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $work/nginx;
    proxy_temp_path $work/nginx;
    fastcgi_temp_path $work/nginx;
    uwsgi_temp_path $work/nginx;
    scgi_temp_path $work/nginx;
    keepalive_requests 10000;
    sendfile on;
    map \$arg_next_page_token \$page { "" 0; default \$arg_next_page_token; }
    server {
        listen 127.0.0.1:$port;
        root $work/pages;
        location = /v2/metrics/webinars/bench/participants {
            default_type application/json;
            try_files /p\$page.json =404;
        }
    }
}
CONF
"$nginx" -p "$work/nginx" -c "$work/nginx.conf" -g 'daemon on;'
for _ in $(seq 50); do [ -f "$work/nginx.pid" ] && break; sleep 0.1; done

base="http://127.0.0.1:$port/v2"
page_url="$base/metrics/webinars/bench/participants?page_size=300"
{
    echo "url = \"$page_url\""
    echo 'output = "/dev/null"'
    for ((p = 1; p < PAGES; p++)); do
        echo "url = \"$page_url&next_page_token=$p\""
        echo 'output = "/dev/null"'
    done
} > "$work/curl.config"
# The same fetch writing each page into a file of its own (the same bytes to disk as an
# export): for reference, not the floor.
sed "s#output = \"/dev/null\"#output = \"$work/curl/page\"#" "$work/curl.config" |
    awk -v dir="$work/curl" '/^output/ {printf "output = \"%s/p%d.json\"\n", dir, n++; next} {print}' \
    > "$work/curl-files.config"

export ZOOM_ACCESS_TOKEN=bench-token
cli=("$bin" --webinar bench --rate-limit off --base-url "$base")
names=(curl curl_files default prefetch1 prefetch2 prefetch4 default_stdout)
# One timed run of `name`: prints "microseconds peak_rss_kb".
measure() {
    local name=$1 start end to=/dev/null
    local cmd=()
    case $name in
        curl) cmd=(curl -sS --fail --config "$work/curl.config") ;;
        curl_files) cmd=(curl -sS --fail --config "$work/curl-files.config") ;;
        default) cmd=("${cli[@]}" --output "$work/out.ndjson") ;;
        prefetch*) cmd=("${cli[@]}" --prefetch "${name#prefetch}" --output "$work/out.ndjson") ;;
        default_stdout) cmd=("${cli[@]}"); to=$work/stdout.ndjson ;;
    esac
    # The file a run writes is removed before the clock starts (a shell's `>` would free
    # the last run's 125 MB inside the measurement).
    case $name in
        curl) ;;
        curl_files) rm -rf "$work/curl"; mkdir "$work/curl" ;;
        default_stdout) rm -f "$to" ;;
        *) rm -f "$work/out.ndjson" ;;
    esac
    start=$(date +%s%N)
    /usr/bin/time -f %M -o "$work/rss" "${cmd[@]}" > "$to"
    end=$(date +%s%N)
    echo "$(( (end - start) / 1000 )) $(cat "$work/rss")"
}

declare -A wall rss
for ((round = 0; round <= RUNS; round++)); do
    for name in "${names[@]}"; do
        read -r us kb < <(measure "$name")
        if ((round > 0)); then
            wall[$name]+="$us "
            rss[$name]+="$kb "
        fi
    done
    ((round > 0)) && echo "round $round: done" >&2
done

lines=$(wc -l < "$work/out.ndjson")
[ "$lines" -eq $((PAGES * PER_PAGE)) ] || { echo "the export has $lines lines, not $((PAGES * PER_PAGE))" >&2; exit 1; }
cmp -s "$work/out.ndjson" "$work/stdout.ndjson" || { echo "the two exports differ" >&2; exit 1; }

median() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
floor=$(median "${wall[curl]}")
echo "commit $(git rev-parse --short HEAD), $PAGES pages, $((PAGES * PER_PAGE)) participants, $bytes bytes, nginx $("$nginx" -v 2>&1 | sed 's/.*\///'), curl $(curl --version | awk 'NR==1 {print $2}'), $RUNS interleaved rounds, medians:"
# Ratios two ways: median against median, and the median of each round's ratio to that
# round's curl (a change of load during the run falls on both of a pair alike).
for name in "${names[@]}"; do
    m=$(median "${wall[$name]}")
    r=$(median "${rss[$name]}")
    paired=$(awk -v all="${wall[$name]}" -v base="${wall[curl]}" 'BEGIN {
        k = split(all, a, " "); split(base, b, " ")
        for (i = 1; i <= k; i++) printf "%f ", a[i] / b[i]
    }')
    p=$(median "$paired")
    awk -v n="$name" -v m="$m" -v f="$floor" -v p="$p" -v r="$r" -v all="${wall[$name]}" 'BEGIN {
        k = split(all, a, " "); runs = ""
        for (i = 1; i <= k; i++) runs = runs sprintf(" %.1f", a[i] / 1000)
        printf "  %-15s %8.1f ms  %5.2fx curl (paired %5.2fx)  peak RSS %6.1f MiB  (runs, ms:%s)\n", n, m / 1000, m / f, p, r / 1024, runs
    }'
done
