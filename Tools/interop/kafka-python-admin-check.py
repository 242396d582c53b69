#!/usr/bin/env python3
"""Cross-checks the dev cluster's admin APIs with the PyPI kafka-python admin client.

Usage: kafka-python-admin-check.py BOOTSTRAP_SERVERS
       kafka-python-admin-check.py --group-offsets BOOTSTRAP_SERVERS GROUP


Creates a topic with a config, lists and describes it, describes and alters its configs, adds
partitions, lists and describes consumer groups, and deletes the topic, asserting every answer.
With --group-offsets it prints the committed offsets of GROUP as kafka-python's
list_consumer_group_offsets reports them, one JSON object {"topic", "partition", "offset"} per line
sorted by topic and partition, for the Swift tests to compare with kafka-consumer-groups; exits 1 when
the call fails.

Exits 0 when everything matches, 1 with a message naming the failed check otherwise, and 2 when
kafka-python is not installed (pip install -r Tools/interop/requirements-kafka-python.txt).
"""

import sys
import time
import uuid

try:
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic
except ImportError as error:  # pragma: no cover - reported to the Swift test
    print(f"kafka-python is not installed: {error}", file=sys.stderr)
    sys.exit(2)

FAILURES = []


def check(name, condition, detail=""):
    """Records a failed check (and keeps going, so that one run shows every mismatch)."""
    if condition:
        print(f"ok   {name}")
    else:
        print(f"FAIL {name}: {detail}")
        FAILURES.append(name)


def step(name, body):
    """Runs one check that may raise; an exception is a failure of that check."""
    try:
        return body()
    except Exception as error:  # noqa: BLE001 - every error is a mismatch to report
        check(name, False, f"{type(error).__name__}: {error}")
        return None


def topic_errors(response):
    obj = response.to_object()
    entries = obj.get("topic_errors") or obj.get("topic_error_codes") or []
    return {entry["topic"]: entry["error_code"] for entry in entries}


def config_entries(resource):
    entries = {}
    for entry in resource["config_entries"]:
        name = entry.get("config_names", entry.get("config_name"))
        entries[name] = entry
    return entries


def describe_topic_configs(admin, topic):
    responses = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    resources = [r for response in responses for r in response.to_object()["resources"]]
    if len(resources) != 1 or resources[0]["error_code"] != 0:
        raise AssertionError(f"unexpected describe_configs answer {resources}")
    return config_entries(resources[0])


def group_offsets(bootstrap, group):
    """Prints GROUP's committed offsets (kafka-python's view), one JSON object per line."""
    import json

    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="kafka-python-admin-check",
        request_timeout_ms=10000,
        # The version probe's 2 s default is too short on a loaded CI machine (two cores shared by the
        # parallel test suites and the in-process cluster).
        api_version_auto_timeout_ms=30000,
    )
    try:
        offsets = admin.list_consumer_group_offsets(group)
    except Exception as error:  # noqa: BLE001 - reported to the Swift test
        print(f"list_consumer_group_offsets({group}) failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    finally:
        admin.close()
    for partition in sorted(offsets, key=lambda tp: (tp.topic, tp.partition)):
        entry = {"topic": partition.topic, "partition": partition.partition, "offset": offsets[partition].offset}
        print(json.dumps(entry, sort_keys=True))
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--group-offsets":
        return group_offsets(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    bootstrap = sys.argv[1]
    topic = f"kp-admin-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="kafka-python-admin-check",
        request_timeout_ms=10000,
        # The version probe's 2 s default is too short on a loaded CI machine (two cores shared by the
        # parallel test suites and the in-process cluster).
        api_version_auto_timeout_ms=30000,
    )
    try:
        # CreateTopics with a config override.
        created = step(
            "create_topics",
            lambda: admin.create_topics(
                [NewTopic(topic, num_partitions=2, replication_factor=2, topic_configs={"cleanup.policy": "compact"})]
            ),
        )
        if created is not None:
            check("create_topics result", topic_errors(created).get(topic) == 0, created)

        # Creating it again must fail with TopicAlreadyExistsError.
        def create_again():
            try:
                admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
            except Exception as error:  # noqa: BLE001
                return type(error).__name__
            return "no error"

        check("create_topics twice", step("create again", create_again) == "TopicAlreadyExistsError")

        # Metadata.
        topics = step("list_topics", admin.list_topics) or []
        check("list_topics contains the topic", topic in topics, topics)
        described = step("describe_topics", lambda: admin.describe_topics([topic])) or []
        check(
            "describe_topics partitions",
            len(described) == 1 and described[0]["error_code"] == 0 and len(described[0]["partitions"]) == 2,
            described,
        )
        if described:
            replicas = [len(p["replicas"]) for p in described[0]["partitions"]]
            check("describe_topics replication factor", replicas == [2, 2], replicas)

        # DescribeConfigs: the override and Kafka's defaults.
        configs = step("describe_configs", lambda: describe_topic_configs(admin, topic)) or {}
        check("cleanup.policy override", configs.get("cleanup.policy", {}).get("config_value") == "compact", configs.get("cleanup.policy"))
        check("max.message.bytes default", configs.get("max.message.bytes", {}).get("config_value") == "1048588", configs.get("max.message.bytes"))
        check("retention.ms default", configs.get("retention.ms", {}).get("config_value") == "604800000", configs.get("retention.ms"))

        # AlterConfigs replaces the override set.
        altered = step(
            "alter_configs",
            lambda: admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": "3600000"})]),
        )
        if altered is not None:
            codes = [r["error_code"] for r in altered.to_object()["resources"]]
            check("alter_configs result", codes == [0], altered)
        configs = step("describe_configs after alter", lambda: describe_topic_configs(admin, topic)) or {}
        check("retention.ms altered", configs.get("retention.ms", {}).get("config_value") == "3600000", configs.get("retention.ms"))
        check("cleanup.policy reset", configs.get("cleanup.policy", {}).get("config_value") == "delete", configs.get("cleanup.policy"))

        # A bad value is refused.
        bad = step(
            "alter_configs bad value",
            lambda: admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": "soon"})]),
        )
        if bad is not None:
            codes = [r["error_code"] for r in bad.to_object()["resources"]]
            check("alter_configs bad value is INVALID_CONFIG", codes == [40], bad)

        # CreatePartitions.
        grown = step("create_partitions", lambda: admin.create_partitions({topic: NewPartitions(total_count=4)}))
        if grown is not None:
            check("create_partitions result", topic_errors(grown).get(topic) == 0, grown)
        described = step("describe_topics after create_partitions", lambda: admin.describe_topics([topic])) or []
        check("four partitions", len(described) == 1 and len(described[0]["partitions"]) == 4, described)

        # Groups (answered by the group coordinator).
        groups = step("list_consumer_groups", admin.list_consumer_groups)
        check("list_consumer_groups answers a list", isinstance(groups, list), groups)
        group_descriptions = step("describe_consumer_groups", lambda: admin.describe_consumer_groups(["kp-no-such-group"]))
        check("describe_consumer_groups answers", group_descriptions is not None, group_descriptions)

        # DeleteTopics.
        deleted = step("delete_topics", lambda: admin.delete_topics([topic]))
        if deleted is not None:
            check("delete_topics result", topic_errors(deleted).get(topic) == 0, deleted)
        deadline = time.time() + 5
        remaining = [topic]
        while time.time() < deadline:
            remaining = step("list_topics after delete", admin.list_topics) or []
            if topic not in remaining:
                break
            time.sleep(0.1)
        check("topic deleted", topic not in remaining, remaining)
    finally:
        admin.close()

    if FAILURES:
        print(f"kafka-python admin check FAILED: {', '.join(FAILURES)}", file=sys.stderr)
        return 1
    print("kafka-python admin check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
