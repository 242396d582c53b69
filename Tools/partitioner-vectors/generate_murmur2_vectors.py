#!/usr/bin/env python3
"""Regenerates Tests/KafkaProducerTests/Fixtures/murmur2-vectors.json.

The hashes come from kafka-python's `kafka.partitioner.default.murmur2`, an independent port of the
Java client's `Utils.murmur2`, so the Swift implementation is checked against code it was not written
from. kafka-python returns the hash as an unsigned 32-bit number; the fixture stores it as Java's
signed `int` ("hash") and as the unsigned value ("unsignedHash"). Each vector also records the
partition Java's default partitioner picks for a keyed record, `(hash & 0x7fffffff) % count`, for
every count in "partitionCounts".

Usage (from the repository root):
    python3 -m venv /tmp/kp && /tmp/kp/bin/pip install kafka-python
    /tmp/kp/bin/python Tools/partitioner-vectors/generate_murmur2_vectors.py
"""

import json
import os
import random
import sys

from kafka.partitioner.default import murmur2

PARTITION_COUNTS = [1, 3, 7, 12, 100]
SEED = 0x6B61666B  # "kafk"; fixed so regeneration is reproducible.
OUTPUT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)),
    "..", "..", "Tests", "KafkaProducerTests", "Fixtures", "murmur2-vectors.json",
)

# Kafka's UtilsTest.testMurmur2 (the Java client's own expectations, as signed ints).
JAVA_KNOWN = [
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
    (bytes([97, 98, 99]), 479470107),
]


def to_signed(value):
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= (1 << 31) else value


def keys():
    rng = random.Random(SEED)

    def random_bytes(length):
        return bytes(rng.getrandbits(8) for _ in range(length))

    yield "empty", b""
    for key, _ in JAVA_KNOWN:
        yield "java-utils-test", key
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
    for length in range(1, 51):  # every tail length (0..3) many times over
        yield "ascii-length-%d" % length, alphabet[:length]
    for length in range(1, 51):
        yield "random-length-%d" % length, random_bytes(length)
    for length in range(1, 9):  # bytes with the sign bit set (Java sign-extends bytes before & 0xff)
        yield "all-0xff-length-%d" % length, b"\xff" * length
        yield "all-0x80-length-%d" % length, b"\x80" * length
    for text in [
        "héllo", "naïve café", "Grüße", "日本語のキー", "ключ", "κλειδί", "مفتاح", "🔑", "emoji 🎉🚀",
        "user-42", "order:2024-01-01", "😀😃😄😁", "ß", "€", "\u0000", "a\u0000b", "tab\there",
        "line\nbreak", "    ", "Zürich-Genève",
    ]:
        yield "utf8:" + text, text.encode("utf-8")
    for number in range(0, 30):
        yield "decimal-%d" % number, str(number).encode("ascii")
    for index in range(24):
        length = rng.randrange(51, 300)
        yield "random-long-%d" % index, random_bytes(length)


def main():
    for key, expected in JAVA_KNOWN:
        actual = to_signed(murmur2(key))
        if actual != expected:
            sys.exit("kafka-python disagrees with Java's UtilsTest for %r: %d != %d" % (key, actual, expected))

    lines = []
    for name, key in keys():
        unsigned = murmur2(key) & 0xFFFFFFFF
        signed = to_signed(unsigned)
        vector = {
            "name": name,
            "keyHex": key.hex(),
            "hash": signed,
            "unsignedHash": unsigned,
            "partitions": [(unsigned & 0x7FFFFFFF) % count for count in PARTITION_COUNTS],
        }
        lines.append("    " + json.dumps(vector, ensure_ascii=True))

    import kafka
    header = {
        "description": "Java-compatible murmur2 vectors; see Tools/partitioner-vectors/README.md",
        "source": "kafka-python %s kafka.partitioner.default.murmur2" % kafka.__version__,
        "partitionCounts": PARTITION_COUNTS,
    }
    text = "{\n"
    for field, value in header.items():
        text += "  %s: %s,\n" % (json.dumps(field), json.dumps(value))
    text += '  "vectors": [\n' + ",\n".join(lines) + "\n  ]\n}\n"
    with open(os.path.normpath(OUTPUT), "w", encoding="utf-8") as handle:
        handle.write(text)
    print("wrote %d vectors to %s" % (len(lines), os.path.normpath(OUTPUT)))


if __name__ == "__main__":
    main()
