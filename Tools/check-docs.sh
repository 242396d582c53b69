#!/usr/bin/env bash
# Builds the DocC documentation of every public module (the Kafka catalog's articles, each module's landing page,
# the doc comments and the Snippets/ they show) and fails on any warning: an unresolved ``symbol`` link, a
# missing snippet or slice, a doc comment naming a parameter that does not exist, a compiler warning.
#
#   Tools/check-docs.sh                  every public module
#   Tools/check-docs.sh KafkaProducer    only the modules named
#
# The archives land in .build/plugins/Swift-DocC/outputs/<Module>.doccarchive; the logs in $DOCS_LOG_DIR (default
# a fresh temporary directory). Prints one line per module and a one-line summary; exit 0 only without warnings.
set -euo pipefail
cd "$(dirname "$0")/.."

modules=("$@")
if [ ${#modules[@]} -eq 0 ]; then
    modules=(Kafka KafkaProducer KafkaConsumer KafkaAdmin KafkaNetwork KafkaProtocol KafkaCompression KafkaDevCluster)
fi
log_dir=${DOCS_LOG_DIR:-$(mktemp -d -t check-docs.XXXXXX)}
mkdir -p "$log_dir"

started=$SECONDS
total_warnings=0
failed=()
for module in "${modules[@]}"; do
    log="$log_dir/$module.log"
    module_started=$SECONDS
    status=0
    swift package --disable-sandbox generate-documentation --target "$module" >"$log" 2>&1 || status=$?
    warnings=$(grep -c 'warning:' "$log" || true)
    total_warnings=$((total_warnings + warnings))
    echo "check-docs: $module: $warnings warning(s), exit $status, $((SECONDS - module_started)) s (log: $log)"
    if [ "$status" -ne 0 ] || [ "$warnings" -ne 0 ]; then
        failed+=("$module")
        # The warnings (and, for a failed run, the end of the log), so that CI output says what to fix.
        grep -A3 'warning:' "$log" | head -n 200 || true
        if [ "$status" -ne 0 ]; then tail -n 40 "$log"; fi
    fi
done

elapsed=$((SECONDS - started))
if [ ${#failed[@]} -eq 0 ]; then
    echo "check-docs: ${#modules[@]} modules documented, 0 warnings, ${elapsed} s"
else
    echo "check-docs: FAILED: ${failed[*]} (${total_warnings} warnings in all), ${elapsed} s"
    exit 1
fi
