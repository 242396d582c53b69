#!/usr/bin/env python3
"""A console producer across a real broker restart: records sent, failed, duplicated and out of order.

Starts a private Apache Kafka 2.3.0 broker (Tools/kafka-broker.sh), pipes N keyed lines ("k<i % 6>:<i>"),
paced over a few seconds, into a console producer, kills the broker (SIGKILL) while it sends and starts it
again, then reads the topic back with kcat and counts per record. The same run for our
`kafka-console-producer` and for Kafka's own `kafka-console-producer.sh`, with the same settings (acks=all,
the console default of 3 retries, idempotence on or off).

    Tools/bench/broker-restart.py [--records 100000] [--seconds 20] [--down 3] [--rounds 1]

Build our tool first (`swift build -c release --product kafka-console-producer`; a debug build is used when
there is no release one). Prints one Markdown table row per client and idempotence setting.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

from kafka_broker import BROKER, ROOT, broker_env
KEYS = 6


def our_tool():
    for configuration in ("release", "debug"):
        path = os.path.join(ROOT, ".build", configuration, "kafka-console-producer")
        if os.access(path, os.X_OK):
            return path
    sys.exit("build kafka-console-producer first: swift build -c release --product kafka-console-producer")


def producer_command(client, env, topic, idempotent):
    common = ["--topic", topic, "--property", "parse.key=true", "--property", "key.separator=:",
              "--producer-property", f"enable.idempotence={'true' if idempotent else 'false'}",
              "--request-required-acks", "all",
              "--message-send-max-retries", "3"]
    if client == "ours":
        return [our_tool(), "--bootstrap-server", env["KAFKA_BOOTSTRAP_SERVERS"]] + common
    return [os.path.join(env["KAFKA_HOME"], "bin", "kafka-console-producer.sh"),
            "--broker-list", env["KAFKA_BOOTSTRAP_SERVERS"]] + common


def run(client, idempotent, directory, args, round_index):
    env = broker_env(directory)
    java_env = dict(os.environ, JAVA_HOME=env["JAVA_HOME"], KAFKA_HEAP_OPTS="-Xmx512M")
    topic = f"restart-{client}-{'idem' if idempotent else 'plain'}-{round_index}"
    subprocess.run([os.path.join(env["KAFKA_HOME"], "bin", "kafka-topics.sh"), "--bootstrap-server",
                    env["KAFKA_BOOTSTRAP_SERVERS"], "--create", "--topic", topic, "--partitions", "3",
                    "--replication-factor", "1"], env=java_env, check=True, stdout=subprocess.DEVNULL)
    producer = subprocess.Popen(producer_command(client, env, topic, idempotent), stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=java_env)
    errors = []
    reader = threading.Thread(target=lambda: errors.extend(producer.stderr.read().decode(errors="replace").splitlines()))
    reader.start()

    def fault():
        time.sleep(args.seconds / 4)
        subprocess.run([BROKER, "kill-broker", directory], check=True)
        time.sleep(args.down)
        subprocess.run([BROKER, "start-broker", directory], check=True, stderr=subprocess.DEVNULL)

    faulting = threading.Thread(target=fault)
    faulting.start()
    steps = 200
    per_step = args.records // steps
    for step in range(steps):
        chunk = "".join(f"k{i % KEYS}:{i}\n" for i in range(step * per_step, (step + 1) * per_step))
        producer.stdin.write(chunk.encode())
        producer.stdin.flush()
        time.sleep(args.seconds / steps)
    faulting.join()
    producer.stdin.close()
    producer.wait(timeout=600)
    reader.join()
    sent = per_step * steps

    read = subprocess.run(["kcat", "-b", env["KAFKA_BOOTSTRAP_SERVERS"], "-C", "-t", topic, "-e", "-q",
                           "-f", "%k %s\n"], capture_output=True, check=True, timeout=300).stdout.decode()
    seen = {}
    last = {}
    out_of_order = 0
    for line in read.splitlines():
        key, _, value = line.partition(" ")
        index = int(value)
        seen[index] = seen.get(index, 0) + 1
        if key in last and index < last[key]:
            out_of_order += 1
        last[key] = max(last.get(key, index), index)
    failed = sum(1 for i in range(sent) if i not in seen)
    duplicated = sum(count - 1 for count in seen.values() if count > 1)
    error_lines = [line for line in errors if "rror" in line]
    return sent, failed, duplicated, out_of_order, producer.returncode, error_lines[:1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--down", type=float, default=3, help="seconds between the kill and the restart")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--clients", default="ours,java")
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="kafka-restart-bench.")
    subprocess.run([BROKER, "start", directory], check=True, stdout=subprocess.DEVNULL)
    try:
        print("| client | idempotence | sent | failed | duplicated | out of order | exit | first error |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
        for round_index in range(args.rounds):
            for idempotent in (True, False):
                for client in args.clients.split(","):
                    sent, failed, duplicated, disorder, status, first = run(
                        client, idempotent, directory, args, round_index)
                    error = first[0][:80].replace("|", "/") if first else ""
                    print(f"| {client} | {'on' if idempotent else 'off'} | {sent} | {failed} | {duplicated} | "
                          f"{disorder} | {status} | {error} |", flush=True)
    finally:
        subprocess.run([BROKER, "stop", directory], stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.default_int_handler)
    main()
