#!/usr/bin/env python3
"""Our producer and consumer against kcat (librdkafka) on a real Apache Kafka 2.3.0 broker, in one interleaved run.

Starts a private broker with Tools/kafka-broker.sh (ZooKeeper + one broker on loopback, sharing the machine's
cores with the clients), then, for each round and each configuration, produces RECORDS records of SIZE bytes to
a fresh topic of PARTITIONS partitions with each client in turn:

    kcat  kcat -P -b BS -t TOPIC -l PAYLOAD -X acks=.. -X compression.codec=..   (librdkafka's defaults otherwise:
          batch.size 1,000,000, linger.ms 5)
    ours  kafka-producer-perf-test --topic TOPIC --num-records RECORDS --record-size SIZE --throughput -1
            --producer-props bootstrap.servers=BS acks=.. compression.type=..   (our defaults otherwise:
          batch.size 16384, batch.max.size 1 MiB, linger.ms 5)
    ours-1MB  the same with batch.size=1000000 (librdkafka's batch size: both clients at an equal batch size)

Each client process runs under /usr/bin/time: records/s is RECORDS over the process's wall time (start-up,
connecting and the final flush included); CPU is user + system seconds; RSS is the peak. After each run the
topic's end offsets are summed (Kafka's GetOffsetShell) to check every record arrived. The configurations are
acks=1/none and acks=all/lz4. The ratios are per round (ours over kcat, same round), and the table gives
their medians over the rounds: a shared machine's speed drifts within minutes, so only interleaved rounds
compare the clients.

Latency at low load: both Java's kafka-producer-perf-test.sh and ours send LATENCY_RECORDS records at a paced
10,000 records/s (acks=1, each with its defaults); the table gives each tool's own 50th/99th percentiles.

Consumer: a topic of RECORDS records (PARTITIONS partitions, written by kcat) is read to its end by each client in
turn, every round: kcat -C -b BS -t TOPIC -o beginning -e -q -X fetch.wait.max.ms=10 (librdkafka's defaults
otherwise; without it, -e waits up to a second for end-of-partition after the last record), and our
kafka-consumer-perf-test --topic TOPIC --messages RECORDS (a consumer group, our defaults), under /usr/bin/time.

    Tools/bench/real-broker.py [--records 2000000] [--rounds 3] [--skip-build] [--only producer,latency,consumer]

Payloads: kcat sends RECORDS distinct lines of SIZE random uppercase letters; our tool sends, for each record, one
of the first 10,000 of those lines at random (--payload-file, as Kafka's tool does), so that both compress alike.
"""
import argparse
import os
import random
import statistics
import string
import subprocess
import sys
import tempfile

from kafka_broker import BROKER, ROOT, broker_env
CONFIGS = [("1", "none"), ("all", "lz4")]


def log(text):
    print(text, file=sys.stderr, flush=True)


def timed(command, env=None):
    """Runs command under GNU time; returns (wall s, cpu s, rss MiB, stdout)."""
    result = subprocess.run(["/usr/bin/time", "-f", "TIME %e %U %S %M"] + command, capture_output=True, env=env,
                            timeout=900)
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed ({result.returncode}): {result.stderr.decode(errors='replace')[-2000:]}")
    line = [row for row in result.stderr.decode().splitlines() if row.startswith("TIME ")][-1]
    wall, user, system, rss = line.split()[1:]
    return float(wall), float(user) + float(system), int(rss) / 1024, result.stdout.decode()


def end_offsets(env, java_env, topic):
    out = subprocess.run([os.path.join(env["KAFKA_HOME"], "bin", "kafka-run-class.sh"), "kafka.tools.GetOffsetShell",
                          "--broker-list", env["KAFKA_BOOTSTRAP_SERVERS"], "--topic", topic, "--time", "-1"],
                         capture_output=True, env=java_env, timeout=120, check=True)
    return sum(int(line.rsplit(":", 1)[1]) for line in out.stdout.decode().splitlines() if line.count(":") == 2)


def create_topic(env, java_env, topic, partitions):
    subprocess.run([os.path.join(env["KAFKA_HOME"], "bin", "kafka-topics.sh"), "--bootstrap-server",
                    env["KAFKA_BOOTSTRAP_SERVERS"], "--create", "--topic", topic, "--partitions", str(partitions),
                    "--replication-factor", "1"], env=java_env, check=True, stdout=subprocess.DEVNULL)


def tool(name):
    path = os.path.join(ROOT, ".build", "release", name)
    if not os.access(path, os.X_OK):
        sys.exit(f"build {name} first: swift build -c release --product {name}")
    return path


def run_client(client, acks, codec, topic, args, env, java_env, payload):
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    if client == "kcat":
        command = ["kcat", "-P", "-b", bootstrap, "-t", topic, "-l", payload, "-X", f"acks={acks}",
                   "-X", f"compression.codec={codec}"]
    else:
        extra = ["batch.size=1000000", "batch.max.size=1000000"] if client == "ours-1MB" else []
        command = [tool("kafka-producer-perf-test"), "--topic", topic, "--num-records", str(args.records),
                   "--payload-file", payload + ".10k", "--throughput", "-1", "--producer-props",
                   f"bootstrap.servers={bootstrap}", f"acks={acks}", f"compression.type={codec}"] + extra
    wall, cpu, rss, _ = timed(command)
    arrived = end_offsets(env, java_env, topic)
    if arrived != args.records:
        sys.exit(f"{client} {acks}/{codec}: {arrived} of {args.records} records arrived in {topic}")
    return wall, cpu, rss


def consume(client, topic, args, env, round_index):
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    if client == "kcat":
        # fetch.wait.max.ms=10: kcat -e stops once every partition reported its end, which with librdkafka's 500 ms
        # default adds up to a second of idle waiting after the last record; ours stops at the last record.
        command = ["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%o\\n",
                   "-X", "fetch.wait.max.ms=10"]
    else:
        command = [tool("kafka-consumer-perf-test"), "--bootstrap-server", bootstrap, "--topic", topic,
                   "--messages", str(args.records), "--group", f"bench-{round_index}"]
    wall, cpu, rss, out = timed(command)
    if client == "kcat" and len(out.splitlines()) != args.records:
        sys.exit(f"kcat read {len(out.splitlines())} of {args.records} records")
    return wall, cpu, rss


def ratio_table(title, configs, clients, results, records):
    print(title + "\n")
    print("| run | client | wall s | records/s | CPU-s | peak RSS MiB | records/s vs kcat | CPU vs kcat |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for config in configs:
        kcat = results[(config, "kcat")]
        for client in clients:
            runs = results[(config, client)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            rss = statistics.median(r[2] for r in runs)
            speed = statistics.median(k[0] / r[0] for k, r in zip(kcat, runs))
            cpu_ratio = statistics.median(r[1] / k[1] for k, r in zip(kcat, runs))
            print(f"| {config} | {client} | {wall:.2f} | {records / wall:,.0f} | {cpu:.2f} | {rss:.0f} | "
                  f"{speed:.2f}× | {cpu_ratio:.2f}× |")
    print()


def latency(tool_command, env):
    out = subprocess.run(tool_command, capture_output=True, env=env, timeout=600)
    last = [line for line in out.stdout.decode().splitlines() if "99th" in line]
    if out.returncode != 0 or not last:
        sys.exit(f"{tool_command[0]} failed: {out.stderr.decode(errors='replace')[-2000:]}")
    words = last[-1].replace(",", "").split()
    p50 = words[words.index("50th") - 2]
    p99 = words[words.index("99th") - 2]
    return p50, p99, last[-1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-records", type=int, default=100_000)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--only", default="producer,latency,consumer")
    args = parser.parse_args()
    sections = set(args.only.split(","))

    if not args.skip_build:
        for product in ("kafka-producer-perf-test", "kafka-consumer-perf-test"):
            log(f"building {product} (release)")
            subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True)
    directory = tempfile.mkdtemp(prefix="kafka-bench.")
    subprocess.run([BROKER, "start", directory], check=True, stdout=subprocess.DEVNULL)
    env = broker_env(directory)
    java_env = dict(os.environ, JAVA_HOME=env["JAVA_HOME"], KAFKA_HEAP_OPTS="-Xmx512M")
    payload = os.path.join(directory, "payload.txt")
    generator = random.Random(7)
    with open(payload, "w") as handle:
        for _ in range(args.records):
            handle.write("".join(generator.choices(string.ascii_uppercase, k=args.size)) + "\n")
    with open(payload) as source, open(payload + ".10k", "w") as sample:
        for _ in range(min(10_000, args.records)):
            sample.write(source.readline())
    print(f"{args.records:,} × {args.size}-byte records, {args.partitions} partitions, {args.rounds} interleaved "
          "rounds, medians; ratios are ours over kcat in the same round (their median).\n")
    try:
        if "producer" in sections:
            clients = ["kcat", "ours", "ours-1MB"]
            configs = [f"acks={acks} {codec}" for acks, codec in CONFIGS]
            results = {}
            for round_index in range(args.rounds):
                for acks, codec in CONFIGS:
                    for client in clients:
                        topic = f"perf-{client}-{acks}-{codec}-{round_index}".replace("-1MB", "1mb")
                        create_topic(env, java_env, topic, args.partitions)
                        figures = run_client(client, acks, codec, topic, args, env, java_env, payload)
                        results.setdefault((f"acks={acks} {codec}", client), []).append(figures)
                        log(f"round {round_index + 1} acks={acks} {codec} {client}: {figures[0]:.2f} s, "
                            f"{figures[1]:.2f} CPU-s, {figures[2]:.0f} MiB")
            ratio_table("Producer (ours-1MB: batch.size=1000000, librdkafka's batch size):", configs, clients,
                        results, args.records)
        if "consumer" in sections:
            topic = "consume"
            create_topic(env, java_env, topic, args.partitions)
            run_client("kcat", "1", "none", topic, args, env, java_env, payload)
            results = {}
            for round_index in range(args.rounds):
                for client in ("kcat", "ours"):
                    figures = consume(client, topic, args, env, round_index)
                    results.setdefault(("read to the end", client), []).append(figures)
                    log(f"round {round_index + 1} consumer {client}: {figures[0]:.2f} s, {figures[1]:.2f} CPU-s, "
                        f"{figures[2]:.0f} MiB")
            ratio_table("Consumer:", ["read to the end"], ["kcat", "ours"], results, args.records)
        if "latency" in sections:
            print(f"Latency: paced at 10,000 records/s, acks=1, each tool with its defaults "
                  f"({args.latency_records:,} records; the tools' own percentiles):\n")
            print("| tool | p50 ms | p99 ms |")
            print("| --- | ---: | ---: |")
            bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
            for name in ("java", "ours"):
                topic = f"latency-{name}"
                create_topic(env, java_env, topic, args.partitions)
                common = ["--topic", topic, "--num-records", str(args.latency_records), "--record-size",
                          str(args.size), "--throughput", "10000", "--producer-props",
                          f"bootstrap.servers={bootstrap}", "acks=1"]
                if name == "java":
                    command = [os.path.join(env["KAFKA_HOME"], "bin", "kafka-producer-perf-test.sh")] + common
                else:
                    command = [tool("kafka-producer-perf-test")] + common
                p50, p99, line = latency(command, java_env)
                log(f"{name}: {line}")
                print(f"| {name} | {p50} | {p99} |")
    finally:
        subprocess.run([BROKER, "stop", directory], check=False, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
