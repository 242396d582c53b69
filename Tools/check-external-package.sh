#!/usr/bin/env bash
# A service's package outside the repository: Examples/import-kafka is copied to a temporary folder, its path
# dependency pointed at this clone, built, and run against the dev cluster. Its program imports only `Kafka` and
# produces, consumes in a group and commits (it fails when what it reads or what the group committed is wrong).
#
#   Tools/check-external-package.sh     (after `swift build`: it runs the kafka-dev-cluster just built)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin=$(swift build --show-bin-path)
work=$(mktemp -d)
cluster_pid=""
cleanup() {
  [ -n "$cluster_pid" ] && { kill -TERM "$cluster_pid" 2>/dev/null || true; wait "$cluster_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

cp -R Examples/import-kafka "$work/app"
# A path dependency is named after its folder: the clone is reached through a link named swift-kafka.
ln -s "$root" "$work/swift-kafka"
sed -i.orig "s|.package(path: \"../..\")|.package(path: \"$work/swift-kafka\")|" "$work/app/Package.swift"
grep -q "package(path: \"$work/swift-kafka\")" "$work/app/Package.swift" \
  || { echo "error: could not point the package at $root" >&2; exit 1; }
swift build --package-path "$work/app" 2>&1 | grep -E "error|warning: .*Kafka|Compiling import_kafka|Build complete" || true
[ -x "$work/app/.build/debug/import-kafka" ] || { echo "error: the external package did not build" >&2; exit 1; }

[ -x "$bin/kafka-dev-cluster" ] || swift build -q --product kafka-dev-cluster
"$bin/kafka-dev-cluster" --brokers 1 --port 0 --bootstrap-file "$work/bootstrap" >"$work/cluster.log" 2>&1 &
cluster_pid=$!
for _ in $(seq 1 200); do [ -s "$work/bootstrap" ] && break; sleep 0.05; done
[ -s "$work/bootstrap" ] || { cat "$work/cluster.log" >&2; echo "error: the dev cluster did not start" >&2; exit 1; }
timeout 120 "$work/app/.build/debug/import-kafka" "$(cat "$work/bootstrap")"
