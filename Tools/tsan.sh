#!/bin/sh
# The producer's suites under ThreadSanitizer: the unit suites of KafkaProducerTests and the producer and
# transaction suites that run on the dev cluster. The suites on librdkafka's mock cluster cannot run under TSan
# (librdkafka's `rdk:mock` thread crashes in TSan's allocator), nor the ones that need kcat or Python.
#
#   Tools/tsan.sh            build (in .build-tsan, or $TSAN_SCRATCH) and run; any race report fails the run
#
# A TSan build of the whole package takes about 30 minutes on 2 cores, so CI does not run this; run it after a
# change to the producer's locking.
set -eu
cd "$(dirname "$0")/.."
scratch="${TSAN_SCRATCH:-.build-tsan}"
swift build --build-tests --sanitize=thread --scratch-path "$scratch"
SWT_SWIFT_ERROR_BACKTRACING_ENABLED=0 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  swift test --skip-build --sanitize=thread --scratch-path "$scratch" \
  --filter 'KafkaProducerTests\.|KafkaTransactionTests\.(TransactionalProducerTests|ExactlyOncePipelineTests)' \
  --skip 'ProducerAPITests|ProducerFaultTests|ProducerReadBackTests|ProducerSmokeTests|TransactionalProducerMockTests'
