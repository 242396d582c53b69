#!/usr/bin/env bash
# us → librdkafka: encode record batches with this package (every codec, with headers, nulls and
# large values), produce them to librdkafka's mock cluster and check that kcat/librdkafka decodes
# them to the expected records. Called by Tools/test.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
swift build -q --product kafka-interop-batch-writer
"$(swift build --show-bin-path)/kafka-interop-batch-writer" "$out"
python3 Tools/interop/verify-librdkafka-decodes.py "$out"
