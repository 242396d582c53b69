#!/usr/bin/env bash
# The README's first command: the main job end to end on a fresh machine.
#
#   installs what is missing, builds the tools, starts kafka-dev-cluster (the embedded default,
#   3 brokers on free ports), creates a topic with kafka-topics, produces lines with
#   kafka-console-producer, consumes them in a group with kafka-console-consumer, and shows
#   kafka-consumer-groups --describe; then stops the cluster.
#
# Environment: SKIP_BUILD=1 uses the binaries already built (debug); KEEP_CLUSTER=1 leaves the cluster
# running and prints its bootstrap servers.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }
command -v dpkg >/dev/null && Tools/install-deps.sh

tools=(kafka-dev-cluster kafka-topics kafka-console-producer kafka-console-consumer kafka-consumer-groups)
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  say "building ${tools[*]} (the first build compiles the dependencies: minutes on 2 cores)"
  for tool in "${tools[@]}"; do swift build --product "$tool"; done
fi
bin=$(swift build --show-bin-path)

work=$(mktemp -d)
cluster_pid=""
cleanup() {
  if [ -n "$cluster_pid" ] && [ "${KEEP_CLUSTER:-0}" != 1 ]; then
    kill -TERM "$cluster_pid" 2>/dev/null || true
    wait "$cluster_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

say "starting kafka-dev-cluster (3 brokers)"
"$bin/kafka-dev-cluster" --brokers 3 --port 0 --bootstrap-file "$work/bootstrap" >"$work/cluster.log" 2>&1 &
cluster_pid=$!
for _ in $(seq 1 200); do [ -s "$work/bootstrap" ] && break; sleep 0.05; done
[ -s "$work/bootstrap" ] || { cat "$work/cluster.log" >&2; echo "error: the dev cluster did not start" >&2; exit 1; }
export KAFKA_BOOTSTRAP_SERVERS=$(cat "$work/bootstrap")
echo "bootstrap.servers=$KAFKA_BOOTSTRAP_SERVERS"

say "kafka-topics --create --topic orders --partitions 3 --replication-factor 3"
"$bin/kafka-topics" --create --topic orders --partitions 3 --replication-factor 3
"$bin/kafka-topics" --describe --topic orders

say "kafka-console-producer --topic orders --property parse.key=true --property key.separator=:"
printf 'alice:coffee\nbob:tea\ncarol:juice\nalice:cake\nbob:water\ncarol:toast\n' \
  | "$bin/kafka-console-producer" --topic orders --property parse.key=true --property key.separator=:

say "kafka-console-consumer --topic orders --group billing --from-beginning --max-messages 6"
"$bin/kafka-console-consumer" --topic orders --group billing --from-beginning --max-messages 6 \
  --property print.key=true --property print.partition=true --property print.offset=true

say "kafka-consumer-groups --describe --group billing"
"$bin/kafka-consumer-groups" --describe --group billing

if [ "${KEEP_CLUSTER:-0}" = 1 ]; then
  say "the dev cluster keeps running (pid $cluster_pid): export KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS"
fi
say "done"
