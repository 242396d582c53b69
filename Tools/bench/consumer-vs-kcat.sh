#!/usr/bin/env bash
# consumer-vs-kcat.sh: this project's consumer against librdkafka's, side by side, in one run.
#
# What it measures
#   Starts a release `kafka-dev-cluster` (BROKERS brokers, topic "perf" with PARTITIONS partitions), fills
#   "perf" with RECORDS records of SIZE random uppercase letters (no keys) with kcat -P, checks the sum of the
#   end offsets, then reads them all back twice from the same cluster, each client under
#   `/usr/bin/time -f '%e %U %S %M'` (wall time, user and system CPU seconds, peak RSS of the client):
#     1. kcat (librdkafka):  kcat -C -b BS -t perf -e -o beginning -q $KCAT_ARGS > /dev/null
#     2. ours:               kafka-consumer-perf-test --bootstrap-server BS --topic perf --messages RECORDS
#   records/s = RECORDS / wall time of the client process, for both (process start-up and connecting
#   included). The dev cluster's own CPU (from /proc/PID/stat) is shown per phase but counted for neither
#   client; it shares the machine's cores with them.
#
#   How each client stops differs: ours stops as soon as it has RECORDS records; kcat -e stops when every
#   partition reports end-of-partition, which with librdkafka's default fetch.wait.max.ms=500 costs up to
#   ~0.5-1 s of idle waiting at the end (see dev-cluster-kcat.sh). Set KCAT_ARGS="-X fetch.wait.max.ms=10"
#   to take most of that out. kcat also writes every value (plus a newline) to /dev/null; ours only counts.
#
# How to run (from anywhere; needs swift, kcat, python3 and GNU time at /usr/bin/time):
#   Tools/bench/consumer-vs-kcat.sh
#   RECORDS=200000 Tools/bench/consumer-vs-kcat.sh               # a quick smoke run
#   SCRATCH=.build-bench SKIP_BUILD=1 Tools/bench/consumer-vs-kcat.sh
# Run nothing else heavy meanwhile: the clients and the cluster compete for the same cores.
#
# Environment:
#   RECORDS     records to write and read                    (default 2000000)
#   SIZE        record value size in bytes                   (default 100)
#   PARTITIONS  partitions of topic "perf"                   (default 6)
#   BROKERS     dev cluster brokers                          (default 1)
#   SCRATCH     swift build --scratch-path                   (default: SwiftPM's .build)
#   SKIP_BUILD  1 = do not build, use the existing binaries  (default 0)
#   KCAT_ARGS   extra arguments for kcat -C, e.g. "-X fetch.wait.max.ms=10"   (default: none)
#   OUR_ARGS    extra arguments for ours, e.g. "--consumer.config F"          (default: none)
#   KEEP_TMP    1 = keep the temporary directory with logs   (default 0)
#
# Output: progress on stderr; on stdout a markdown table and our tool's own output (MB = 2^20 bytes).
set -euo pipefail

RECORDS=${RECORDS:-2000000}
SIZE=${SIZE:-100}
PARTITIONS=${PARTITIONS:-6}
BROKERS=${BROKERS:-1}
SCRATCH=${SCRATCH:-}
SKIP_BUILD=${SKIP_BUILD:-0}
KCAT_ARGS=${KCAT_ARGS:-}
OUR_ARGS=${OUR_ARGS:-}
KEEP_TMP=${KEEP_TMP:-0}

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in swift kcat python3 awk; do
    command -v "$tool" >/dev/null || die "'$tool' is not installed"
done
[[ -x /usr/bin/time ]] || die "GNU time is needed at /usr/bin/time (apt-get install time)"

cd "$(dirname "$0")/../.."
scratch_args=()
[[ -n "$SCRATCH" ]] && scratch_args=(--scratch-path "$SCRATCH")

# 1. Build (release).
if [[ "$SKIP_BUILD" != 1 ]]; then
    # One product per call: `swift build` builds only the last of several --product options.
    for product in kafka-consumer-perf-test kafka-dev-cluster; do
        log "building $product (release)..."
        swift build "${scratch_args[@]}" -c release --product "$product" >&2
    done
fi
BIN=$(swift build "${scratch_args[@]}" -c release --show-bin-path)
PERF=$BIN/kafka-consumer-perf-test
DEV=$BIN/kafka-dev-cluster
[[ -x "$PERF" && -x "$DEV" ]] || die "binaries not found in $BIN (build first, or unset SKIP_BUILD)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/consumer-vs-kcat.XXXXXX")
PID=
cleanup() {
    if [[ -n "$PID" ]]; then
        kill -INT "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    if [[ "$KEEP_TMP" == 1 ]]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# 2. The payload: RECORDS lines of SIZE random uppercase letters (the newline is kcat's delimiter).
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

# 3. The cluster, filled by kcat.
"$DEV" --brokers "$BROKERS" --port 0 --topic "perf:$PARTITIONS" --bootstrap-file "$WORK/bs" >"$WORK/dev.log" 2>&1 &
PID=$!
for _ in $(seq 1 300); do
    [[ -s "$WORK/bs" ]] && break
    kill -0 "$PID" 2>/dev/null || { cat "$WORK/dev.log" >&2; die "the dev cluster exited"; }
    sleep 0.1
done
[[ -s "$WORK/bs" ]] || { cat "$WORK/dev.log" >&2; die "the dev cluster did not start within 30 s"; }
BS=$(head -n1 "$WORK/bs")
cluster_cpu() { awk '{ print ($14 + $15) / 100 }' "/proc/$PID/stat"; }

log "filling perf ($PARTITIONS partitions) on $BS with kcat -P..."
kcat -P -b "$BS" -t perf -l -X linger.ms=5 -X batch.size=1000000 -X queue.buffering.max.messages=2000000 \
    "$WORK/payload.txt"
args=()
for ((p = 0; p < PARTITIONS; p++)); do args+=(-t "perf:$p:-1"); done
stored=$(kcat -Q -b "$BS" "${args[@]}" 2>/dev/null | awk '/offset/ { s += $NF } END { print s + 0 }')
[[ "$stored" == "$RECORDS" ]] || die "the topic holds $stored records, expected $RECORDS"
log "  $stored records stored"

# 4. The two consumers.
RESULTS=$WORK/results.tsv # client elapsed user sys maxrss_kb cluster_cpu exit
: >"$RESULTS"

log "kcat -C -> $BS"
before=$(cluster_cpu)
kcat_rc=0
# shellcheck disable=SC2086 # KCAT_ARGS is a list of words
/usr/bin/time -f '%e %U %S %M' -o "$WORK/kcat.time" \
    kcat -C -b "$BS" -t perf -e -o beginning -q $KCAT_ARGS >/dev/null 2>"$WORK/kcat.log" || kcat_rc=$?
after=$(cluster_cpu)
read -r e u s m < <(tail -n1 "$WORK/kcat.time")
printf 'kcat\t%s\t%s\t%s\t%s\t%s\t%s\n' "$e" "$u" "$s" "$m" "$(awk -v a="$after" -v b="$before" 'BEGIN { print a - b }')" \
    "$kcat_rc" >>"$RESULTS"
log "  elapsed ${e}s user ${u}s sys ${s}s maxrss ${m}KB exit $kcat_rc"
[[ "$kcat_rc" == 0 ]] || { log "  kcat reported:"; head -n 5 "$WORK/kcat.log" >&2; }

log "kafka-consumer-perf-test -> $BS"
before=$(cluster_cpu)
ours_rc=0
# shellcheck disable=SC2086 # OUR_ARGS is a list of words
/usr/bin/time -f '%e %U %S %M' -o "$WORK/ours.time" \
    "$PERF" --bootstrap-server "$BS" --topic perf --messages "$RECORDS" $OUR_ARGS >"$WORK/ours.log" 2>&1 ||
    ours_rc=$?
after=$(cluster_cpu)
read -r e u s m < <(tail -n1 "$WORK/ours.time")
printf 'ours\t%s\t%s\t%s\t%s\t%s\t%s\n' "$e" "$u" "$s" "$m" "$(awk -v a="$after" -v b="$before" 'BEGIN { print a - b }')" \
    "$ours_rc" >>"$RESULTS"
log "  elapsed ${e}s user ${u}s sys ${s}s maxrss ${m}KB exit $ours_rc"
[[ "$ours_rc" == 0 ]] || { log "  kafka-consumer-perf-test reported:"; tail -n 5 "$WORK/ours.log" >&2; }

# 5. The table.
echo
echo "RECORDS=$RECORDS SIZE=$SIZE PARTITIONS=$PARTITIONS BROKERS=$BROKERS kcat args: ${KCAT_ARGS:-none}" \
    "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo
awk -F'\t' -v records="$RECORDS" -v size="$SIZE" '
function fmt(x, d) { return sprintf("%." d "f", x) }
{
    name = ($1 == "kcat") ? "kcat -C (librdkafka)" : "kafka-consumer-perf-test"
    el = $2; cpu = $3 + $4
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", name, fmt(records / el, 0),
        fmt(records * size / el / 1048576, 1), fmt(el, 2), fmt(cpu, 2), fmt(cpu / records * 1e6, 2),
        fmt($5 / 1024, 1), fmt($6, 2), $7
}
BEGIN {
    print "| client | records/s (wall) | MB/s (wall) | wall s | CPU s (user+sys) | CPU µs/record | peak RSS MiB | dev cluster CPU s | exit |"
    print "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
}' "$RESULTS"
echo
echo "kafka-consumer-perf-test output:"
echo '```'
cat "$WORK/ours.log"
echo '```'
