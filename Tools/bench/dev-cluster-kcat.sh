#!/usr/bin/env bash
# dev-cluster-kcat.sh: volume through the dev cluster with kcat (librdkafka) on both ends.
#
# What it measures
#   Starts a release `kafka-dev-cluster` (BROKERS brokers, topic "perf" with PARTITIONS partitions),
#   then
#     1. in:  kcat -P -b BS -t perf -l PAYLOAD -X linger.ms=5 -X batch.size=1000000 (RECORDS lines of
#             SIZE random letters), timed with GNU time;
#     2. out: kcat -C -b BS -t perf -o beginning -e -q -f '%o\n' -X fetch.wait.max.ms=10
#             -X queued.min.messages=1000000 | wc -l, timed the same way (with librdkafka's default
#             500 ms fetch wait, the last fetches of partitions already at their end wait the full
#             500 ms before kcat sees end-of-partition — as against Kafka — which adds ~1 s of idle time);
#   and prints records/s for each direction, the client's CPU, the dev cluster's CPU seconds spent in
#   each phase (from /proc/PID/stat), and the dev cluster's capacity = records / its CPU seconds, i.e.
#   what one core of the dev cluster handles. The issue's goal: the dev cluster is not the bottleneck —
#   ≥ 2 M records/s in, ≥ 3 M records/s out. On 2 cores kcat and the cluster share the CPU, so the
#   wall-clock rate is bounded by kcat's own CPU; the capacity column is the cluster's figure.
#
# Run: Tools/bench/dev-cluster-kcat.sh            (RECORDS=200000 for a quick run)
# Environment: RECORDS (2000000) SIZE (100) PARTITIONS (6) BROKERS (1) SKIP_BUILD (0) SCRATCH ('')
set -euo pipefail
RECORDS=${RECORDS:-2000000}
SIZE=${SIZE:-100}
PARTITIONS=${PARTITIONS:-6}
BROKERS=${BROKERS:-1}
SKIP_BUILD=${SKIP_BUILD:-0}
SCRATCH=${SCRATCH:-}

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
for tool in swift kcat python3 awk; do command -v "$tool" >/dev/null || die "'$tool' is not installed"; done
[[ -x /usr/bin/time ]] || die "GNU time is needed at /usr/bin/time (apt-get install time)"

cd "$(dirname "$0")/../.."
scratch_args=()
[[ -n "$SCRATCH" ]] && scratch_args=(--scratch-path "$SCRATCH")
if [[ "$SKIP_BUILD" != 1 ]]; then
    log "building kafka-dev-cluster (release)..."
    swift build "${scratch_args[@]}" -c release --product kafka-dev-cluster >&2
fi
DEV=$(swift build "${scratch_args[@]}" -c release --show-bin-path)/kafka-dev-cluster
[[ -x "$DEV" ]] || die "$DEV not found"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dev-cluster-kcat.XXXXXX")
PID=
cleanup() {
    [[ -n "$PID" ]] && { kill -INT "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
    rm -rf "$WORK"
}
trap cleanup EXIT

log "writing $RECORDS lines of $SIZE letters..."
python3 - "$RECORDS" "$SIZE" "$WORK/payload.txt" <<'PY'
import os, sys
records, size, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
letters = bytes(65 + i % 26 for i in range(256))
with open(path, "wb") as out:
    for start in range(0, records, 10000):
        n = min(10000, records - start)
        raw = os.urandom(n * size).translate(letters)
        out.write(b"".join(raw[i * size:(i + 1) * size] + b"\n" for i in range(n)))
PY

"$DEV" --brokers "$BROKERS" --port 0 --topic "perf:$PARTITIONS" --bootstrap-file "$WORK/bs" >"$WORK/dev.log" 2>&1 &
PID=$!
for _ in $(seq 1 300); do [[ -s "$WORK/bs" ]] && break; sleep 0.1; done
[[ -s "$WORK/bs" ]] || { cat "$WORK/dev.log" >&2; die "the dev cluster did not start"; }
BS=$(head -n1 "$WORK/bs")

cpu() { awk '{ print ($14 + $15) / 100 }' "/proc/$PID/stat"; }

before=$(cpu)
/usr/bin/time -f '%e %U %S' -o "$WORK/in.time" \
    kcat -P -b "$BS" -t perf -l -X linger.ms=5 -X batch.size=1000000 -X queue.buffering.max.messages=2000000 \
    "$WORK/payload.txt"
after_in=$(cpu)
/usr/bin/time -f '%e %U %S' -o "$WORK/out.time" \
    sh -c "kcat -C -b '$BS' -t perf -o beginning -e -q -f '%o\n' -X fetch.wait.max.ms=10 \
        -X queued.min.messages=1000000 | wc -l >'$WORK/count'"
after_out=$(cpu)
count=$(tr -d ' ' <"$WORK/count")
[[ "$count" == "$RECORDS" ]] || die "read back $count records, expected $RECORDS"

read -r in_wall in_user in_sys <"$WORK/in.time"
read -r out_wall out_user out_sys <"$WORK/out.time"
awk -v r="$RECORDS" -v iw="$in_wall" -v iu="$in_user" -v is="$in_sys" -v ow="$out_wall" -v ou="$out_user" \
    -v os="$out_sys" -v b="$before" -v ai="$after_in" -v ao="$after_out" 'BEGIN {
    printf "| direction | records | wall s | records/s | kcat CPU s | dev cluster CPU s | dev cluster records/CPU-s |\n"
    printf "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
    printf "| in (kcat -P) | %d | %.2f | %.0f | %.2f | %.2f | %.0f |\n", r, iw, r / iw, iu + is, ai - b, r / (ai - b)
    printf "| out (kcat -C) | %d | %.2f | %.0f | %.2f | %.2f | %.0f |\n", r, ow, r / ow, ou + os, ao - ai, r / (ao - ai)
}'
