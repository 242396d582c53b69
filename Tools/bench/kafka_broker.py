"""What the benchmark scripts share about the real broker Tools/kafka-broker.sh starts."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BROKER = os.path.join(ROOT, "Tools", "kafka-broker.sh")


def broker_env(directory):
    """The KEY=value lines of DIR/broker.env (bootstrap servers, KAFKA_HOME, JAVA_HOME, ...)."""
    values = {}
    with open(os.path.join(directory, "broker.env")) as handle:
        for line in handle:
            key, _, value = line.strip().partition("=")
            values[key] = value
    return values
