#!/usr/bin/env bash
# producer-vs-kcat.sh: this project's producer against librdkafka, side by side, in one run.
#
# What it measures
#   For each configuration acks ∈ {1, all} × compression ∈ {none, lz4} it produces RECORDS records
#   of SIZE bytes to topic "perf" (PARTITIONS partitions) on a local mock cluster, twice:
#     1. kcat (librdkafka):  kcat -P -b BS -t perf -l PAYLOAD -X acks=.. -X compression.codec=.. -X linger.ms=5
#     2. ours:               kafka-producer-perf-test --topic perf --num-records RECORDS --record-size SIZE \
#                              --throughput -1 --producer-props bootstrap.servers=BS acks=.. \
#                              compression.type=.. linger.ms=5
#   Each client run gets a FRESH `kafka-mock-cluster` (librdkafka's mock cluster, BROKERS brokers, in
#   a separate process) and runs under `/usr/bin/time -f '%e %U %S %M'`, which gives the client's wall
#   time, user and system CPU seconds, and peak RSS. The mock cluster's own CPU is NOT counted for
#   either client (it is another process), but it does share the machine's cores with the client.
#
#   records/s = RECORDS / wall time of the client process, for both clients (so it includes process
#   start-up, connecting, and the final flush). Our tool's own "records/sec" (Kafka's definition,
#   from its first send to the end of close()) is printed too, in a second table.
#   After each run the topic's end offsets are summed (`kcat -Q`), to check that RECORDS arrived.
#
#   Payloads: kcat reads PAYLOAD, RECORDS lines of SIZE random uppercase letters (the newline is the
#   delimiter, not part of the message), so every kcat message is exactly SIZE bytes and different.
#   kafka-producer-perf-test --record-size, like Apache Kafka's tool, sends ONE random SIZE-byte
#   payload of uppercase letters for all records; with lz4 that repeated payload compresses far better
#   than kcat's distinct lines. Set KCAT_LINES=repeated to give kcat one repeated line instead.
#
# How to run (from anywhere; needs swift, kcat, python3 and GNU time at /usr/bin/time):
#   Tools/bench/producer-vs-kcat.sh
#   RECORDS=200000 Tools/bench/producer-vs-kcat.sh          # a quick smoke run
#   SCRATCH=.build-bench SKIP_BUILD=1 Tools/bench/producer-vs-kcat.sh
# Run nothing else heavy meanwhile: both clients and the cluster compete for the same cores.
#
# Environment:
#   RECORDS     records per run                              (default 2000000)
#   SIZE        record value size in bytes                   (default 100)
#   PARTITIONS  partitions of topic "perf"                   (default 6)
#   BROKERS     mock brokers                                 (default 3)
#   LINGER_MS   linger.ms for both clients                   (default 5)
#   SCRATCH     swift build --scratch-path                   (default: SwiftPM's .build)
#   SKIP_BUILD  1 = do not build, use the existing binaries  (default 0)
#   KCAT_LINES  random | repeated: kcat payload lines        (default random)
#   KEEP_TMP    1 = keep the temporary directory with logs   (default 0)
#   OUR_PROPS   extra producer properties for ours, e.g. "batch.size=1000000" (librdkafka's default
#               batch size) — space separated k=v                 (default: none)
#   KCAT_PROPS  extra librdkafka properties for kcat, e.g. "batch.size=16384" (Java's and our default
#               batch size) — space separated k=v, each passed as -X k=v  (default: none)
#   REPEAT      rounds per configuration: each round runs kcat then ours, so the rounds interleave; with
#               more than one, a last table gives each client's median wall time and CPU time per
#               configuration (a shared VM's speed drifts by tens of per cent within minutes; medians
#               of interleaved rounds compare the clients, not the moments)        (default 1)
#
# Output: progress on stderr; at the end three markdown tables on stdout (MB = 2^20 bytes, as in
# Kafka's tool; RSS in MiB).
set -euo pipefail

RECORDS=${RECORDS:-2000000}
SIZE=${SIZE:-100}
PARTITIONS=${PARTITIONS:-6}
BROKERS=${BROKERS:-3}
LINGER_MS=${LINGER_MS:-5}
SCRATCH=${SCRATCH:-}
SKIP_BUILD=${SKIP_BUILD:-0}
KCAT_LINES=${KCAT_LINES:-random}
KEEP_TMP=${KEEP_TMP:-0}
OUR_PROPS=${OUR_PROPS:-}
KCAT_PROPS=${KCAT_PROPS:-}
REPEAT=${REPEAT:-1}
kcat_props=()
for property in $KCAT_PROPS; do kcat_props+=(-X "$property"); done

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
    for product in kafka-producer-perf-test kafka-mock-cluster; do
        log "building $product (release)..."
        swift build "${scratch_args[@]}" -c release --product "$product" >&2
    done
fi
BIN=$(swift build "${scratch_args[@]}" -c release --show-bin-path)
PERF=$BIN/kafka-producer-perf-test
MOCK=$BIN/kafka-mock-cluster
[[ -x "$PERF" && -x "$MOCK" ]] || die "binaries not found in $BIN (build first, or unset SKIP_BUILD)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/producer-vs-kcat.XXXXXX")
CLUSTER_PID=
cleanup() {
    if [[ -n "$CLUSTER_PID" ]]; then
        kill -INT "$CLUSTER_PID" 2>/dev/null || true
        wait "$CLUSTER_PID" 2>/dev/null || true
    fi
    if [[ "$KEEP_TMP" == 1 ]]; then log "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# 2. The payload file for kcat: RECORDS lines of SIZE random uppercase letters.
PAYLOAD=$WORK/payload.txt
log "writing $RECORDS lines of $SIZE letters ($KCAT_LINES) to $PAYLOAD..."
python3 - "$RECORDS" "$SIZE" "$KCAT_LINES" "$PAYLOAD" <<'PY'
import os, sys
records, size, mode, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
letters = bytes(65 + i % 26 for i in range(256))   # byte -> 'A'..'Z'
chunk = 10000
with open(path, "wb") as out:
    if mode == "repeated":
        line = os.urandom(size).translate(letters) + b"\n"
        for start in range(0, records, chunk):
            out.write(line * min(chunk, records - start))
    else:
        for start in range(0, records, chunk):
            n = min(chunk, records - start)
            raw = os.urandom(n * size).translate(letters)
            out.write(b"".join(raw[i * size:(i + 1) * size] + b"\n" for i in range(n)))
PY

start_cluster() {
    rm -f "$WORK/bootstrap"
    "$MOCK" --brokers "$BROKERS" --topic "perf:$PARTITIONS" --bootstrap-file "$WORK/bootstrap" \
        >"$WORK/cluster.log" 2>&1 &
    CLUSTER_PID=$!
    for _ in $(seq 1 300); do
        [[ -s "$WORK/bootstrap" ]] && { BS=$(head -n1 "$WORK/bootstrap"); return 0; }
        kill -0 "$CLUSTER_PID" 2>/dev/null || { cat "$WORK/cluster.log" >&2; die "the mock cluster exited"; }
        sleep 0.1
    done
    die "the mock cluster did not start within 30 s"
}

stop_cluster() {
    kill -INT "$CLUSTER_PID" 2>/dev/null || true
    wait "$CLUSTER_PID" 2>/dev/null || true
    CLUSTER_PID=
}

# Sum of the end offsets of all partitions of "perf" = records stored (fresh cluster per run).
stored_records() {
    local args=() p
    for ((p = 0; p < PARTITIONS; p++)); do args+=(-t "perf:$p:-1"); done
    kcat -Q -b "$BS" "${args[@]}" 2>/dev/null | awk '/offset/ { s += $NF } END { print s + 0 }' || echo "?"
}

RESULTS=$WORK/results.tsv   # config client elapsed user sys maxrss_kb stored exit own_rate
: >"$RESULTS"

# 3. The runs.
for acks in 1 all; do
    for codec in none lz4; do
      for ((round = 1; round <= REPEAT; round++)); do
        config="acks=$acks, $codec"

        start_cluster
        log "[$config] kcat -> $BS"
        kcat_rc=0
        /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.txt" \
            kcat -P -b "$BS" -t perf -l "$PAYLOAD" \
            -X acks="$acks" -X compression.codec="$codec" -X linger.ms="$LINGER_MS" "${kcat_props[@]}" \
            >"$WORK/kcat-$acks-$codec.log" 2>&1 || kcat_rc=$?
        stored=$(stored_records)
        stop_cluster
        read -r e u s m < <(tail -n1 "$WORK/time.txt")
        printf '%s\tkcat\t%s\t%s\t%s\t%s\t%s\t%s\t-\n' "$config" "$e" "$u" "$s" "$m" "$stored" "$kcat_rc" >>"$RESULTS"
        log "  elapsed ${e}s user ${u}s sys ${s}s maxrss ${m}KB stored $stored exit $kcat_rc"
        if [[ "$kcat_rc" != 0 ]] || grep -qiE 'fail|error' "$WORK/kcat-$acks-$codec.log"; then
            log "  kcat reported:"; head -n 5 "$WORK/kcat-$acks-$codec.log" >&2
        fi

        start_cluster
        log "[$config] kafka-producer-perf-test -> $BS"
        ours_rc=0
        /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.txt" \
            "$PERF" --topic perf --num-records "$RECORDS" --record-size "$SIZE" --throughput -1 \
            --producer-props bootstrap.servers="$BS" acks="$acks" compression.type="$codec" \
            linger.ms="$LINGER_MS" $OUR_PROPS >"$WORK/ours-$acks-$codec.log" 2>&1 || ours_rc=$?
        stored=$(stored_records)
        stop_cluster
        read -r e u s m < <(tail -n1 "$WORK/time.txt")
        own=$(grep 'records sent' "$WORK/ours-$acks-$codec.log" | tail -n1 |
            sed -E 's/.*records sent, ([0-9.]+) records\/sec \(([0-9.]+) MB\/sec\).*/\1 \2/' || true)
        own=${own:-?}
        printf '%s\tours\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$config" "$e" "$u" "$s" "$m" "$stored" "$ours_rc" "$own" >>"$RESULTS"
        log "  elapsed ${e}s user ${u}s sys ${s}s maxrss ${m}KB stored $stored exit $ours_rc"
        log "  $(grep 'records sent' "$WORK/ours-$acks-$codec.log" | tail -n1 || true)"
        if [[ "$ours_rc" != 0 ]]; then
            log "  kafka-producer-perf-test reported:"; tail -n 5 "$WORK/ours-$acks-$codec.log" >&2
        fi
      done
    done
done

# 4. The tables.
echo
echo "RECORDS=$RECORDS SIZE=$SIZE PARTITIONS=$PARTITIONS BROKERS=$BROKERS linger.ms=$LINGER_MS kcat lines: $KCAT_LINES" \
    "ours: ${OUR_PROPS:-defaults} kcat: ${KCAT_PROPS:-defaults}"
echo
awk -F'\t' -v records="$RECORDS" -v size="$SIZE" '
function fmt(x, d) { return sprintf("%." d "f", x) }
{
    cfg = $1; client = $2; el = $3; cpu = $4 + $5; rss = $6 / 1024
    rate = records / el; mbs = records * size / el / 1048576; us = cpu / records * 1e6
    if (client == "kcat") { krate[cfg] = rate; kus[cfg] = us; ratio = "—"; cratio = "—" }
    else { ratio = fmt(rate / krate[cfg], 2) "×"; cratio = fmt(us / kus[cfg], 2) "×" }
    name = (client == "kcat") ? "kcat" : "kafka-producer-perf-test"
    rows = rows sprintf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", cfg, name,
        fmt(rate, 0), fmt(mbs, 1), fmt(cpu, 2), fmt(us, 2), fmt(rss, 1), ratio, cratio)
    checks = checks sprintf("| %s | %s | %s | %s |\n", cfg, name, $7, $8)
    if (client == "ours") {
        split($9, o, " ")
        own = own sprintf("| %s | %s | %s | %s |\n", cfg, fmt(rate, 0), (o[1] == "?" ? "?" : fmt(o[1], 0)), o[2])
    }
}
END {
    print "| config | client | records/s | MB/s | CPU s (user+sys) | CPU µs/record | peak RSS MiB | records/s ours/kcat | CPU/record ours/kcat |"
    print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf "%s", rows
    print ""
    print "| config | ours, records/s (wall time) | ours, records/s (own report) | ours, MB/s (own report) |"
    print "| --- | ---: | ---: | ---: |"
    printf "%s", own
    print ""
    print "| config | client | records stored (sum of end offsets) | exit status |"
    print "| --- | --- | ---: | ---: |"
    printf "%s", checks
}' "$RESULTS"

if ((REPEAT > 1)); then
    echo
    echo "Medians of $REPEAT interleaved rounds (records/s from the median wall time; peak RSS: the largest):"
    echo
    python3 - "$RESULTS" "$RECORDS" <<'PY'
import statistics, sys
path, records = sys.argv[1], int(sys.argv[2])
runs = {}
for line in open(path):
    config, client, elapsed, user, system, rss = line.split("\t")[:6]
    runs.setdefault((config, client), []).append((float(elapsed), float(user) + float(system), int(rss)))
print("| config | kcat records/s | ours records/s | records/s ours/kcat | kcat CPU µs/record | ours CPU µs/record "
      "| CPU/record ours/kcat | kcat peak RSS MiB | ours peak RSS MiB |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for config in dict.fromkeys(c for c, _ in runs):
    k, o = runs[(config, "kcat")], runs[(config, "ours")]
    kw, ow = statistics.median(r[0] for r in k), statistics.median(r[0] for r in o)
    kc, oc = statistics.median(r[1] for r in k), statistics.median(r[1] for r in o)
    print(f"| {config} | {records / kw:.0f} | {records / ow:.0f} | {kw / ow:.2f}× | {kc / records * 1e6:.2f} "
          f"| {oc / records * 1e6:.2f} | {oc / kc:.2f}× | {max(r[2] for r in k) / 1024:.1f} | {max(r[2] for r in o) / 1024:.1f} |")
PY
fi
