#!/usr/bin/env python3
"""Writes committed and aborted transactions with PyPI confluent-kafka (librdkafka's transactional
producer), an independent peer of the dev cluster's transaction coordinator.

usage: confluent-transactions.py BOOTSTRAP TOPIC [TRANSACTIONS [PARTITIONS [GROUP]]]

Transaction t (0-based) writes 4 records to partitions k % PARTITIONS (k = 0..3), with values
"commit-N" when t is even (committed) and "abort-N" when t is odd (aborted); N counts per kind. The
first committed transaction also commits offset 7 of TOPIC-0 for GROUP with
send_offsets_to_transaction (AddOffsetsToTxn + TxnOffsetCommit). Records are flushed before each
commit or abort, so aborted records reach the log too. Prints one JSON object on stdout:
{"committed": [[partition, value], ...], "aborted": [...], "written": [...], "group_offset": 7}
("written" holds both kinds), in produce order;
exits 1 with a message on stderr on any error.
"""
import json
import sys

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    bootstrap, topic = sys.argv[1], sys.argv[2]
    transactions = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    partitions = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    group = sys.argv[5] if len(sys.argv) > 5 else "confluent-transactions-group"
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "transactional.id": "confluent-transactions",
        "transaction.timeout.ms": 60000,
        "linger.ms": 5,
    })
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    committed, aborted, written = [], [], []
    try:
        producer.init_transactions(30)
        for t in range(transactions):
            commit = t % 2 == 0
            producer.begin_transaction()
            for k in range(4):
                target = committed if commit else aborted
                value = f"{'commit' if commit else 'abort'}-{len(target)}"
                partition = k % partitions
                producer.produce(topic, value=value.encode(), partition=partition)
                target.append([partition, value])
                written.append([partition, value])
            if t == 0:
                producer.send_offsets_to_transaction(
                    [TopicPartition(topic, 0, 7)], consumer.consumer_group_metadata(), 30)
            remaining = producer.flush(30)
            if remaining:
                raise RuntimeError(f"{remaining} records not delivered")
            if commit:
                producer.commit_transaction(30)
            else:
                producer.abort_transaction(30)
        offsets = consumer.committed([TopicPartition(topic, 0)], timeout=30)
        group_offset = offsets[0].offset if offsets else None
    except KafkaException as error:
        print(f"confluent-kafka failed: {error}", file=sys.stderr)
        return 1
    finally:
        consumer.close()
    print(json.dumps({"committed": committed, "aborted": aborted, "written": written, "group_offset": group_offset}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
