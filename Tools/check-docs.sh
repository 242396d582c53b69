#!/usr/bin/env bash
# Builds the DocC documentation of every public module (the Kafka catalog's articles, each module's landing page,
# the doc comments and the Snippets/ they show) as one combined archive and fails on any warning: an unresolved
# ``symbol`` link, a missing snippet or slice, a doc comment naming a parameter that does not exist or leaving one
# out, a compiler warning in the build the plugin runs.
#
# Combined documentation (`--enable-experimental-combined-documentation`) builds each module's archive with its
# dependencies' archives beside it, so that a catalog can link another module's symbols with an absolute link,
# ``/KafkaProducer/KafkaProducer/send(_:)``: the Kafka module only re-exports the others and has no symbols of its
# own, so its articles link nothing else. The archive lands in .build/plugins/Swift-DocC/outputs/swift-kafka.doccarchive.
#
#   Tools/check-docs.sh
#
# Prints the warnings, one line per module with its warning count, and a one-line summary; exit 0 only without
# warnings. The full log is kept in $DOCS_LOG (default: a temporary file).
set -euo pipefail
cd "$(dirname "$0")/.."

modules=(Kafka KafkaProducer KafkaConsumer KafkaAdmin KafkaNetwork KafkaProtocol KafkaCompression KafkaDevCluster)
log=${DOCS_LOG:-$(mktemp -t check-docs.XXXXXX)}
targets=()
for module in "${modules[@]}"; do targets+=(--target "$module"); done

started=$SECONDS
status=0
swift package --disable-sandbox generate-documentation --enable-experimental-combined-documentation "${targets[@]}" \
    >"$log" 2>&1 || status=$?
elapsed=$((SECONDS - started))

# SwiftPM's note that a dependency's checkout has files its manifest does not declare (swift-distributed-tracing's
# CMakeLists.txt files) is about that package, not this one, and nothing here can change it: it is left out when the
# file it names is under .build/checkouts/. The same note about this package's own files still counts.
relevant="$log.relevant"
trap 'rm -f "$relevant"' EXIT
awk '
    /^warning: .*: found [0-9]+ file\(s\) which are unhandled/ { pending = $0; next }
    pending != "" { if ($0 ~ /\/\.build\/checkouts\//) { pending = ""; next } print pending; pending = "" }
    { print }
    END { if (pending != "") print pending }' "$log" >"$relevant"

# DocC prints a module's warnings after "Building documentation for 'Module'..."; anything before the first such
# line (a compiler warning, say) counts for "build".
counts=$(awk '
    /^Building documentation for / { module = $4; gsub(/[^A-Za-z]/, "", module) }
    /warning:/ { count[module == "" ? "build" : module]++ }
    END { for (m in count) print m, count[m] }' "$relevant")
total=$(grep -c 'warning:' "$relevant" || true)

if [ "$total" -ne 0 ]; then
    grep -A3 'warning:' "$relevant" | head -n 400 || true
fi
for module in build "${modules[@]}"; do
    count=$(awk -v m="$module" '$1 == m { print $2 }' <<<"$counts")
    if [ "$module" != build ] || [ -n "$count" ]; then echo "check-docs: $module: ${count:-0} warning(s)"; fi
done
if [ "$status" -ne 0 ]; then
    tail -n 40 "$log"
    echo "check-docs: FAILED: generate-documentation exited $status, $total warning(s), ${elapsed} s (log: $log)"
    exit 1
fi
if [ "$total" -ne 0 ]; then
    echo "check-docs: FAILED: $total warning(s) in ${#modules[@]} modules, ${elapsed} s (log: $log)"
    exit 1
fi
echo "check-docs: ${#modules[@]} modules documented, 0 warnings, ${elapsed} s"
