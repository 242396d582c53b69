#!/usr/bin/env python3
"""Checks that librdkafka decodes record batches written by another encoder (ours).

Input: a directory holding <prefix><name>.bin files, each one or more concatenated record batches
(magic 2), and <prefix>expected.json (format: see kafka_wire.py / README.md) listing the records
every .bin file must decode to, in offset order. When <name> is a codec (none, gzip, snappy, lz4,
zstd), every batch in that file must carry that codec in its attributes.

For each file this
  1. checks the framing in Python (batch lengths, magic 2 at offset 16, codec bits, CRC-32C --
     a real broker rejects a bad CRC too);
  2. sends each batch, in order, as the records of its own Produce v3 request (acks=-1) to the
     partition leader (found with Metadata v1) of a fresh single-partition topic on a librdkafka
     mock cluster, and requires error code 0 and contiguous base offsets (a Kafka broker accepts
     exactly one batch per partition per Produce request; the mock stores it verbatim);
  3. consumes the topic with `kcat -C -J -o beginning -e -X check.crcs=true`, i.e. librdkafka
     decompresses and parses the batches, and compares keys, values, headers (and timestamps, when
     expected.json has them) and offsets 0..n-1 with expected.json.

Exits 0 when every file matches; otherwise prints one line "FAIL: <file>: <reason>" to stderr and
exits 1 (2 for usage errors).

Usage: Tools/interop/verify-librdkafka-decodes.py DIR [--prefix P] [--brokers N] [--kcat PATH]
Example (the kcat fixtures, which are valid batches):
       Tools/interop/verify-librdkafka-decodes.py Tests/KafkaCompressionTests/Fixtures --prefix kcat-
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kafka_wire as kw  # noqa: E402


class Mismatch(Exception):
    pass


def precheck(name: str, data: bytes) -> list[kw.Batch]:
    if not data:
        raise Mismatch("file is empty")
    try:
        batches = kw.parse_batches(data)
    except ValueError as e:
        raise Mismatch(str(e))
    want_codec = kw.CODECS.get(name)
    for i, b in enumerate(batches):
        if want_codec is not None and b.codec != want_codec:
            raise Mismatch(
                f"batch {i} (byte {b.start}) has compression bits {b.codec} ({b.codec_name}), "
                f"attributes 0x{b.attributes:04x}; file name says {name}"
            )
        if not b.crc_ok:
            raise Mismatch(f"batch {i} (byte {b.start}): CRC-32C 0x{b.crc:08x} != computed 0x{kw.crc32c(b.raw[21:]):08x}")
        if b.record_count < 1:
            raise Mismatch(f"batch {i} (byte {b.start}): record count {b.record_count}")
        if b.last_offset_delta != b.record_count - 1:
            raise Mismatch(f"batch {i} (byte {b.start}): lastOffsetDelta {b.last_offset_delta} with {b.record_count} records")
    return batches


def produce(bootstrap: str, topic: str, batches: list[kw.Batch]) -> None:
    host, port = kw.leader_for(bootstrap, topic, 0)
    next_offset = 0
    with kw.Connection(host, port) as conn:
        for i, b in enumerate(batches):
            err, base = kw.produce_v3(conn, topic, 0, b.raw, acks=-1)
            if err != 0:
                raise Mismatch(f"Produce v3 of batch {i} (byte {b.start}) returned error code {err}")
            if base != next_offset:
                raise Mismatch(f"Produce v3 of batch {i} got base offset {base}, expected {next_offset}")
            next_offset += b.record_count


def _bytes(s: Optional[str]) -> Optional[bytes]:
    # kcat -J writes key/payload bytes into JSON strings; stdout is read with surrogateescape, so
    # this reproduces the original bytes even when they are not UTF-8.
    return None if s is None else s.encode("utf-8", "surrogateescape")


def consume(kcat: str, bootstrap: str, topic: str) -> tuple[list[dict], str]:
    args = [
        kcat, "-C", "-b", bootstrap, "-t", topic, "-p", "0", "-o", "beginning", "-e", "-J",
        "-X", "check.crcs=true",
    ]
    try:
        r = subprocess.run(args, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise Mismatch("kcat -C did not reach the end of the partition within 60 s")
    stderr = r.stderr.decode(errors="replace")
    errors = [ln.strip() for ln in stderr.splitlines() if "ERROR" in ln or "FATAL" in ln]
    if r.returncode != 0 or errors:
        raise Mismatch(f"kcat -C exited {r.returncode}: {(errors or [stderr.strip()])[0]}")
    msgs = []
    for line in r.stdout.decode("utf-8", "surrogateescape").splitlines():
        if line.strip():
            try:
                msgs.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise Mismatch(f"kcat -J printed a line that is not JSON ({e}): {line[:80]!r}")
    return msgs, stderr


def compare(msgs: list[dict], expected: list[kw.Record]) -> None:
    for i, (m, e) in enumerate(zip(msgs, expected)):
        where = f"record {i}"
        if m.get("offset") != i:
            raise Mismatch(f"{where}: librdkafka reports offset {m.get('offset')}")
        key = _bytes(m.get("key"))
        value = _bytes(m.get("payload"))
        flat = m.get("headers") or []
        headers = [(flat[j], _bytes(flat[j + 1])) for j in range(0, len(flat), 2)]
        if key != e.key:
            raise Mismatch(f"{where}: key {kw.short(key)} != expected {kw.short(e.key)}")
        if value != e.value:
            raise Mismatch(f"{where}: value {kw.short(value)} != expected {kw.short(e.value)}")
        if headers != e.headers:
            raise Mismatch(f"{where}: headers {headers} != expected {e.headers}")
        if e.timestamp != -1 and m.get("ts") != e.timestamp:
            raise Mismatch(f"{where}: timestamp {m.get('ts')} != expected {e.timestamp}")
    if len(msgs) != len(expected):
        raise Mismatch(f"librdkafka returned {len(msgs)} records, expected {len(expected)}")


def topic_name(name: str) -> str:
    return "verify-" + re.sub(r"[^A-Za-z0-9._-]", "_", name)


def main() -> int:
    ap = argparse.ArgumentParser(
        description="Check that librdkafka (via kcat and a mock cluster) decodes our record batches."
    )
    ap.add_argument("dir", type=Path, help="directory with <prefix><name>.bin files and <prefix>expected.json")
    ap.add_argument("--prefix", default="", help='file name prefix, e.g. "kcat-" (default: none)')
    ap.add_argument("--brokers", type=int, default=1, help="mock cluster size (default 1)")
    ap.add_argument("--kcat", default="kcat")
    args = ap.parse_args()

    expected_path = args.dir / f"{args.prefix}expected.json"
    if not expected_path.is_file():
        print(f"FAIL: {expected_path} not found", file=sys.stderr)
        return 2
    files = sorted(p for p in args.dir.glob(f"{args.prefix}*.bin") if p.is_file())
    if not files:
        print(f"FAIL: no {args.prefix}*.bin files in {args.dir}", file=sys.stderr)
        return 2
    try:
        expected = kw.records_from_expected(expected_path)
    except (ValueError, KeyError, TypeError) as e:
        print(f"FAIL: {expected_path}: unreadable ({e})", file=sys.stderr)
        return 2

    names = {p: p.stem[len(args.prefix):] for p in files}
    work = []
    for p in files:
        data = p.read_bytes()
        try:
            work.append((p, names[p], precheck(names[p], data)))
        except Mismatch as e:
            print(f"FAIL: {p.name}: {e}", file=sys.stderr)
            return 1

    with kw.MockCluster(args.brokers, [topic_name(n) for _, n, _ in work]) as mc:
        print(f"mock cluster: {mc.bootstrap}; {len(expected)} expected records")
        for p, name, batches in work:
            topic = topic_name(name)
            try:
                produce(mc.bootstrap, topic, batches)
                msgs, _ = consume(args.kcat, mc.bootstrap, topic)
                compare(msgs, expected)
            except (Mismatch, kw.KafkaError, OSError) as e:
                print(f"FAIL: {p.name}: {e}", file=sys.stderr)
                return 1
            codecs = ",".join(sorted({b.codec_name for b in batches}))
            size = sum(len(b.raw) for b in batches)
            print(f"ok   {p.name}: {size} bytes, {len(batches)} batches ({codecs}), {len(msgs)} records decoded by librdkafka")
    print(f"all {len(work)} files decoded by librdkafka as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
