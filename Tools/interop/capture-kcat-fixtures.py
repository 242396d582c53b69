#!/usr/bin/env python3
"""Captures record batches compressed by librdkafka (through kcat) as test fixtures.

For each codec (none, gzip, snappy, lz4, zstd) this
  1. produces a fixed set of records with `kcat -P -z <codec> -K:` to its own topic on a librdkafka
     mock cluster, in two kcat runs (so two record batches): the first without headers, the second
     with headers (-H) and -Z (empty value -> null value, i.e. a tombstone);
  2. fetches the partition back with a hand-written Fetch v4 request over a raw socket; the mock
     stores and returns the producer's batches byte for byte;
  3. checks the bytes: magic 2 at offset 16, compression bits == codec in every batch, CRC-32C,
     and (when the system zlib/snappy/lz4/zstd libraries load) decodes every record and compares
     it with the expected records;
  4. writes <output>/kcat-<codec>.bin (the concatenated batches, i.e. the Fetch `records` bytes)
     and <output>/kcat-expected.json.

The fixtures are NOT byte-for-byte reproducible (batch timestamps are the wall clock and hence the
CRCs change); the records they carry are. Re-running rewrites them.

Usage: Tools/interop/capture-kcat-fixtures.py [--output DIR] [--kcat PATH]
       (default DIR: Tests/KafkaCompressionTests/Fixtures)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kafka_wire as kw  # noqa: E402

CODEC_ORDER = ["none", "gzip", "snappy", "lz4", "zstd"]
MAX_FIXTURE = 64 * 1024


def prose(seed: int, size: int) -> str:
    """Deterministic, compressible, newline-free text of exactly `size` bytes (ASCII)."""
    words = (
        "kafka record batch broker partition offset leader replica consumer producer topic "
        "compression gzip snappy lz4 zstd fetch produce header timestamp sequence epoch crc "
        "the a of to and in is for on with log segment index"
    ).split()
    x = seed
    out = []
    n = 0
    while n < size:
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        w = words[(x >> 16) % len(words)]
        if (x >> 8) % 13 == 0:
            w = f"{w}-{x % 1000}"
        out.append(w)
        n += len(w) + 1
    return " ".join(out)[:size]


# Each entry: (key or None, value). kcat -K: splits a line at the first ':'; a line without ':' is
# produced with a null key. Values must not contain '\n' (kcat's message delimiter).
PLAIN_RECORDS = [
    ("k0", "hello"),
    (None, "no key here"),
    ("empty-value", ""),
    ("", "empty key"),
    ("colon", "value:with:colons"),
    ("utf8", "héllo wörld ☃ 🎉 日本語"),
    ("big-4k", prose(1, 4096)),
    ("big-12k", prose(2, 12288)),
]
# Produced with: -Z (empty value -> null value) and these headers on every record of the run.
HEADER_ARGS = ["a=b", "trace-id=0123456789abcdef", "empty=", "null-valued", "a=dup"]
HEADERS = [("a", b"b"), ("trace-id", b"0123456789abcdef"), ("empty", b""), ("null-valued", None), ("a", b"dup")]
HEADER_RECORDS = [
    ("hdr-big", prose(3, 3072)),
    ("hdr-small", "small"),
    ("tombstone", None),
]


def kcat_input(records) -> bytes:
    lines = []
    for key, value in records:
        v = value or ""
        lines.append(v if key is None else f"{key}:{v}")
    return ("\n".join(lines) + "\n").encode()


def expected_records() -> list[kw.Record]:
    out = []
    for key, value in PLAIN_RECORDS:
        out.append(kw.Record(None if key is None else key.encode(), value.encode()))
    for key, value in HEADER_RECORDS:
        out.append(kw.Record(key.encode(), None if value is None else value.encode(), list(HEADERS)))
    return out


def run_kcat(kcat: str, bootstrap: str, topic: str, codec: str, data: bytes, extra: list[str]) -> None:
    args = [
        kcat, "-P", "-b", bootstrap, "-t", topic, "-p", "0", "-z", codec, "-K:",
        # One record batch per kcat run: linger long enough that all lines (read from stdin in
        # well under a millisecond) are batched together. The flush at EOF still waits for it.
        "-X", "linger.ms=200", "-X", "batch.num.messages=10000",
        *extra,
    ]
    r = subprocess.run(args, input=data, capture_output=True, timeout=60)
    if r.returncode != 0:
        kw.die(f"kcat -P for {codec} exited {r.returncode}: {r.stderr.decode(errors='replace').strip()}")


def check_fixture(codec: str, data: bytes, expected: list[kw.Record]) -> list[str]:
    """Validates a fixture; returns report lines, dies on failure."""
    lines = []
    if len(data) >= MAX_FIXTURE:
        kw.die(f"{codec}: fixture is {len(data)} bytes, limit {MAX_FIXTURE}")
    if len(data) < kw.BATCH_HEADER_SIZE or data[kw.MAGIC_OFFSET] != 2:
        kw.die(f"{codec}: byte 16 is not magic 2")
    batches = kw.parse_batches(data)
    decoded: list[kw.Record] = []
    decode_note = ""
    for i, b in enumerate(batches):
        if b.codec != kw.CODECS[codec]:
            kw.die(f"{codec}: batch {i} has compression bits {b.codec} ({b.codec_name}), attributes 0x{b.attributes:04x}")
        if not b.crc_ok:
            kw.die(f"{codec}: batch {i} CRC-32C mismatch")
        try:
            recs = kw.decode_batch(b)
            decoded += recs
            uncompressed = len(kw.decompress(b.codec, b.payload))
            sizes = f"records section {len(b.payload)} B -> {uncompressed} B uncompressed"
        except kw.Unavailable as e:
            decode_note = f" (record decode skipped: {e})"
            sizes = f"records section {len(b.payload)} B"
        lines.append(
            f"    batch {i}: @{b.start} len {len(b.raw)} B, baseOffset {b.base_offset}, {b.record_count} records, "
            f"attributes 0x{b.attributes:04x}, producerId {b.producer_id}, {sizes}; "
            f"{kw.framing_of(b.codec, b.payload)}"
        )
    if not decode_note:
        got = [(r.key, r.value, r.headers) for r in decoded]
        want = [(r.key, r.value, r.headers) for r in expected]
        if got != want:
            for j, (g, w) in enumerate(zip(got, want)):
                if g != w:
                    kw.die(f"{codec}: record {j} decodes as {g[0]!r}/{kw.short(g[1])}/{g[2]} expected {w[0]!r}/{kw.short(w[1])}/{w[2]}")
            kw.die(f"{codec}: decoded {len(got)} records, expected {len(want)}")
        offsets = [r.offset for r in decoded]
        if offsets != list(range(len(expected))):
            kw.die(f"{codec}: offsets {offsets}")
        lines.append(f"    decoded all {len(decoded)} records in Python: match expected")
    else:
        lines.append("   " + decode_note)
    total = sum(b.record_count for b in batches)
    if total != len(expected):
        kw.die(f"{codec}: {total} records in batches, expected {len(expected)}")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--output", type=Path, default=kw.REPO_ROOT / "Tests/KafkaCompressionTests/Fixtures")
    ap.add_argument("--kcat", default="kcat")
    args = ap.parse_args()

    expected = expected_records()
    topics = [f"kcat-{c}" for c in CODEC_ORDER]
    results: dict[str, bytes] = {}
    with kw.MockCluster(1, topics) as mc:
        print(f"mock cluster: {mc.bootstrap}")
        for codec in CODEC_ORDER:
            topic = f"kcat-{codec}"
            run_kcat(args.kcat, mc.bootstrap, topic, codec, kcat_input(PLAIN_RECORDS), [])
            hdr = [x for h in HEADER_ARGS for x in ("-H", h)] + ["-Z"]
            run_kcat(args.kcat, mc.bootstrap, topic, codec, kcat_input(HEADER_RECORDS), hdr)
            results[codec] = kw.fetch_all(mc.bootstrap, topic, 0)

    for codec in CODEC_ORDER:
        data = results[codec]
        report = check_fixture(codec, data, expected)
        nb = len(kw.parse_batches(data))
        print(f"{codec:7} kcat-{codec}.bin: {len(data)} bytes, {nb} batches")
        print("\n".join(report))

    args.output.mkdir(parents=True, exist_ok=True)
    for codec, data in results.items():
        (args.output / f"kcat-{codec}.bin").write_bytes(data)
    description = (
        "Records in Tests/KafkaCompressionTests/Fixtures/kcat-<codec>.bin, in offset order, as produced by "
        "Tools/interop/capture-kcat-fixtures.py with kcat/librdkafka. Each fixture holds two record batches "
        "(magic 2): offsets 0-7 without headers, offsets 8-10 with the same five headers each. "
        "key/value null = null; *_hex fields (if any) hold binary data."
    )
    (args.output / "kcat-expected.json").write_text(kw.records_to_expected(expected, description))
    print(f"wrote {len(results)} fixtures and kcat-expected.json to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
