"""Minimal Kafka wire-protocol helpers for the interop tools (standard library only).

Contents:
  * MockCluster      -- builds (on demand) and runs Tools/interop/mock-cluster.c
  * Connection       -- request/response over a raw socket (request header v1, response header v0)
  * metadata_v1 / fetch_v4 / produce_v3 -- the three hand-written requests the tools need
  * parse_batches / split_batches / decode_batch -- record batch (magic 2) parsing, CRC-32C check,
                        and record decoding with decompression through the system's zlib, libsnappy,
                        liblz4 and libzstd (via ctypes; a missing library only disables that codec)
  * records_from_expected / records_to_expected -- the expected.json format shared by the tools

Layouts follow https://kafka.apache.org/protocol (non-flexible versions, so no tagged fields).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent

CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
CODEC_NAMES = {v: k for k, v in CODECS.items()}

# --------------------------------------------------------------------------------------------------
# Mock cluster process


def mock_cluster_binary() -> Path:
    """Path to a compiled mock-cluster, building it if missing or older than its source.

    $MOCK_CLUSTER overrides the path (used as-is, never built). The default build output is
    <repo>/.build/interop/mock-cluster (ignored by git)."""
    override = os.environ.get("MOCK_CLUSTER")
    if override:
        return Path(override)
    src = HERE / "mock-cluster.c"
    out = REPO_ROOT / ".build" / "interop" / "mock-cluster"
    if out.exists() and out.stat().st_mtime >= src.stat().st_mtime:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    cc = os.environ.get("CC", "cc")
    # Build to a temporary name and rename, so concurrent runs never see a half-written binary.
    fd, tmp = tempfile.mkstemp(prefix="mock-cluster.", dir=out.parent)
    os.close(fd)
    try:
        r = subprocess.run([cc, "-O1", "-o", tmp, str(src), "-lrdkafka"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"building mock-cluster failed (is librdkafka-dev installed?):\n{r.stderr}")
        os.chmod(tmp, 0o755)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


class MockCluster:
    """Context manager running mock-cluster; .bootstrap is "host:port[,host:port...]".

    topics: iterable of "name" or "name:partitions[:rf]" specs created before the bootstrap line
    is printed. Stops the process by closing its stdin (then SIGTERM, then SIGKILL)."""

    def __init__(self, brokers: int = 1, topics=(), extra_conf: Optional[dict] = None):
        self.brokers = brokers
        self.topics = list(topics)
        self.extra_conf = extra_conf or {}
        self.proc: Optional[subprocess.Popen] = None
        self.bootstrap = ""

    def __enter__(self) -> "MockCluster":
        args = [str(mock_cluster_binary())]
        for k, v in self.extra_conf.items():
            args += ["-X", f"{k}={v}"]
        args += [str(self.brokers), *self.topics]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line:
            rc = self.proc.wait(timeout=10)
            raise RuntimeError(f"mock-cluster exited with status {rc} before printing its bootstrap list")
        self.bootstrap = line
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        p = self.proc
        if p is None:
            return
        self.proc = None
        try:
            p.stdin.close()
        except OSError:
            pass
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        p.stdout.close()

    @property
    def first_broker(self) -> tuple[str, int]:
        host, port = self.bootstrap.split(",")[0].rsplit(":", 1)
        return host, int(port)


# --------------------------------------------------------------------------------------------------
# Primitive encoding / decoding


def i8(v: int) -> bytes:
    return struct.pack(">b", v)


def i16(v: int) -> bytes:
    return struct.pack(">h", v)


def i32(v: int) -> bytes:
    return struct.pack(">i", v)


def i64(v: int) -> bytes:
    return struct.pack(">q", v)


def string(s: Optional[str]) -> bytes:
    """STRING / NULLABLE_STRING: int16 length (-1 = null) + UTF-8 bytes."""
    if s is None:
        return i16(-1)
    b = s.encode()
    return i16(len(b)) + b


def nbytes(b: Optional[bytes]) -> bytes:
    """BYTES / NULLABLE_BYTES / RECORDS: int32 length (-1 = null) + bytes."""
    if b is None:
        return i32(-1)
    return i32(len(b)) + b


def array(items: list[bytes]) -> bytes:
    return i32(len(items)) + b"".join(items)


class Reader:
    def __init__(self, data: bytes, pos: int = 0):
        self.data = data
        self.pos = pos

    def _take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError(f"truncated: need {n} bytes at offset {self.pos}, have {len(self.data) - self.pos}")
        b = self.data[self.pos : self.pos + n]
        self.pos += n
        return b

    def i8(self) -> int:
        return struct.unpack(">b", self._take(1))[0]

    def i16(self) -> int:
        return struct.unpack(">h", self._take(2))[0]

    def i32(self) -> int:
        return struct.unpack(">i", self._take(4))[0]

    def u32(self) -> int:
        return struct.unpack(">I", self._take(4))[0]

    def i64(self) -> int:
        return struct.unpack(">q", self._take(8))[0]

    def string(self) -> Optional[str]:
        n = self.i16()
        return None if n < 0 else self._take(n).decode()

    def nbytes(self) -> Optional[bytes]:
        n = self.i32()
        return None if n < 0 else self._take(n)

    def array(self, item) -> Optional[list]:
        n = self.i32()
        return None if n < 0 else [item(self) for _ in range(n)]

    def varint(self) -> int:
        """Zig-zag varint/varlong as used inside records."""
        shift = 0
        raw = 0
        while True:
            b = self._take(1)[0]
            raw |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
            if shift > 63:
                raise ValueError("varint too long")
        return (raw >> 1) ^ -(raw & 1)

    def remaining(self) -> int:
        return len(self.data) - self.pos


def zigzag_varint(v: int) -> bytes:
    raw = (v << 1) ^ (v >> 63)
    out = bytearray()
    while True:
        b = raw & 0x7F
        raw >>= 7
        if raw:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


# --------------------------------------------------------------------------------------------------
# Connection


class KafkaError(RuntimeError):
    pass


class Connection:
    def __init__(self, host: str, port: int, client_id: str = "kafka-interop", timeout: float = 10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.client_id = client_id
        self.correlation_id = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _recv_exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise KafkaError("connection closed by broker (unsupported request version or malformed request?)")
            buf += chunk
        return bytes(buf)

    def request(self, api_key: int, api_version: int, body: bytes) -> Reader:
        """Sends one request (header v1) and returns a Reader positioned after the response header (v0)."""
        self.correlation_id += 1
        header = i16(api_key) + i16(api_version) + i32(self.correlation_id) + string(self.client_id)
        msg = header + body
        self.sock.sendall(i32(len(msg)) + msg)
        (size,) = struct.unpack(">i", self._recv_exact(4))
        resp = Reader(self._recv_exact(size))
        cid = resp.i32()
        if cid != self.correlation_id:
            raise KafkaError(f"correlation id mismatch: sent {self.correlation_id}, got {cid}")
        return resp


# --------------------------------------------------------------------------------------------------
# Requests


@dataclass
class Metadata:
    brokers: dict[int, tuple[str, int]]
    # topic -> partition -> (error_code, leader_id)
    partitions: dict[str, dict[int, tuple[int, int]]]
    topic_errors: dict[str, int]


def metadata_v1(conn: Connection, topics: Optional[list[str]]) -> Metadata:
    """Metadata v1 (api key 3). topics=None asks for all topics."""
    body = i32(-1) if topics is None else array([string(t) for t in topics])
    r = conn.request(3, 1, body)
    brokers = {}
    for _ in range(r.i32()):
        node_id = r.i32()
        host = r.string()
        port = r.i32()
        r.string()  # rack
        brokers[node_id] = (host, port)
    r.i32()  # controller_id
    parts: dict[str, dict[int, tuple[int, int]]] = {}
    terrs: dict[str, int] = {}
    for _ in range(r.i32()):
        terr = r.i16()
        name = r.string()
        r.i8()  # is_internal
        terrs[name] = terr
        parts[name] = {}
        for _ in range(r.i32()):
            perr = r.i16()
            idx = r.i32()
            leader = r.i32()
            r.array(Reader.i32)  # replicas
            r.array(Reader.i32)  # isr
            parts[name][idx] = (perr, leader)
    return Metadata(brokers, parts, terrs)


def leader_for(bootstrap: str, topic: str, partition: int = 0) -> tuple[str, int]:
    host, port = bootstrap.split(",")[0].rsplit(":", 1)
    with Connection(host, int(port)) as conn:
        md = metadata_v1(conn, [topic])
    if md.topic_errors.get(topic, -1) != 0:
        raise KafkaError(f"metadata for topic {topic!r}: error code {md.topic_errors.get(topic)}")
    perr, leader = md.partitions[topic].get(partition, (-1, -1))
    if perr != 0 or leader not in md.brokers:
        raise KafkaError(f"metadata for {topic}[{partition}]: error {perr}, leader {leader}")
    return md.brokers[leader]


@dataclass
class FetchPartition:
    error_code: int
    high_watermark: int
    last_stable_offset: int
    records: bytes


def fetch_v4(conn: Connection, topic: str, partition: int, offset: int, max_bytes: int = 1 << 20) -> FetchPartition:
    """Fetch v4 (api key 1): one topic, one partition, read_uncommitted."""
    body = (
        i32(-1)  # replica_id
        + i32(500)  # max_wait_ms
        + i32(1)  # min_bytes
        + i32(max_bytes)  # max_bytes
        + i8(0)  # isolation_level
        + array([string(topic) + array([i32(partition) + i64(offset) + i32(max_bytes)])])
    )
    r = conn.request(1, 4, body)
    r.i32()  # throttle_time_ms
    result = None
    for _ in range(r.i32()):
        name = r.string()
        for _ in range(r.i32()):
            idx = r.i32()
            err = r.i16()
            hwm = r.i64()
            lso = r.i64()
            r.array(lambda rr: (rr.i64(), rr.i64()))  # aborted_transactions
            recs = r.nbytes() or b""
            if name == topic and idx == partition:
                result = FetchPartition(err, hwm, lso, recs)
    if result is None:
        raise KafkaError(f"fetch response has no {topic}[{partition}]")
    return result


def fetch_all(bootstrap: str, topic: str, partition: int = 0) -> bytes:
    """All record batches of a partition, from offset 0 to the high watermark, concatenated."""
    host, port = leader_for(bootstrap, topic, partition)
    out = bytearray()
    offset = 0
    with Connection(host, port) as conn:
        while True:
            fp = fetch_v4(conn, topic, partition, offset)
            if fp.error_code != 0:
                raise KafkaError(f"fetch {topic}[{partition}]@{offset}: error code {fp.error_code}")
            if offset >= fp.high_watermark:
                break
            if not fp.records:
                raise KafkaError(f"fetch {topic}[{partition}]@{offset}: no records below hwm {fp.high_watermark}")
            batches = parse_batches(fp.records)  # raises on partial batches
            out += fp.records
            offset = batches[-1].base_offset + batches[-1].last_offset_delta + 1
    return bytes(out)


def produce_v3(conn: Connection, topic: str, partition: int, records: bytes, acks: int = -1) -> tuple[int, int]:
    """Produce v3 (api key 0), the first version carrying record batches v2. Returns (error_code, base_offset)."""
    body = (
        string(None)  # transactional_id
        + i16(acks)
        + i32(10000)  # timeout_ms
        + array([string(topic) + array([i32(partition) + nbytes(records)])])
    )
    r = conn.request(0, 3, body)
    result = None
    for _ in range(r.i32()):
        name = r.string()
        for _ in range(r.i32()):
            idx = r.i32()
            err = r.i16()
            base = r.i64()
            r.i64()  # log_append_time_ms
            if name == topic and idx == partition:
                result = (err, base)
    r.i32()  # throttle_time_ms
    if result is None:
        raise KafkaError(f"produce response has no {topic}[{partition}]")
    return result


# --------------------------------------------------------------------------------------------------
# CRC-32C (Castagnoli), as used by record batch v2


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    t = _CRC32C
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# --------------------------------------------------------------------------------------------------
# Record batches

BATCH_HEADER_SIZE = 61  # bytes up to and including the record count
MAGIC_OFFSET = 16


@dataclass
class Batch:
    start: int  # byte offset of the batch in the buffer it was parsed from
    raw: bytes  # the whole batch, base offset .. end
    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    record_count: int

    @property
    def codec(self) -> int:
        return self.attributes & 0x07

    @property
    def codec_name(self) -> str:
        return CODEC_NAMES.get(self.codec, f"unknown({self.codec})")

    @property
    def crc_ok(self) -> bool:
        return crc32c(self.raw[21:]) == self.crc

    @property
    def payload(self) -> bytes:
        """The (possibly compressed) records section."""
        return self.raw[BATCH_HEADER_SIZE:]


def split_batches(data: bytes) -> list[tuple[int, bytes]]:
    """Splits concatenated batches by their length field only: [(start, batch bytes)]."""
    out = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < 12:
            raise ValueError(f"trailing {len(data) - pos} bytes at offset {pos} are not a whole batch header")
        (length,) = struct.unpack_from(">i", data, pos + 8)
        end = pos + 12 + length
        if length < BATCH_HEADER_SIZE - 12 or end > len(data):
            raise ValueError(f"batch at offset {pos}: batchLength {length} does not fit the {len(data)}-byte buffer")
        out.append((pos, data[pos:end]))
        pos = end
    return out


def parse_batches(data: bytes) -> list[Batch]:
    batches = []
    for start, raw in split_batches(data):
        r = Reader(raw)
        b = Batch(
            start=start,
            raw=raw,
            base_offset=r.i64(),
            batch_length=r.i32(),
            partition_leader_epoch=r.i32(),
            magic=r.i8(),
            crc=r.u32(),
            attributes=r.i16(),
            last_offset_delta=r.i32(),
            base_timestamp=r.i64(),
            max_timestamp=r.i64(),
            producer_id=r.i64(),
            producer_epoch=r.i16(),
            base_sequence=r.i32(),
            record_count=r.i32(),
        )
        if b.magic != 2:
            raise ValueError(f"batch at offset {start}: magic {b.magic}, expected 2")
        batches.append(b)
    return batches


# --- decompression through the system libraries (ctypes), for independent checks ---------------

XERIAL_MAGIC = b"\x82SNAPPY\x00"
LZ4_FRAME_MAGIC = b"\x04\x22\x4d\x18"
ZSTD_FRAME_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"


def _load(name: str):
    path = ctypes.util.find_library(name)
    for candidate in filter(None, [path, f"lib{name}.so.1", f"lib{name}.so"]):
        try:
            return ctypes.CDLL(candidate)
        except OSError:
            continue
    return None


class Unavailable(RuntimeError):
    pass


def _snappy_raw(data: bytes) -> bytes:
    lib = _load("snappy")
    if lib is None:
        raise Unavailable("libsnappy not found")
    n = ctypes.c_size_t()
    if lib.snappy_uncompressed_length(data, ctypes.c_size_t(len(data)), ctypes.byref(n)) != 0:
        raise ValueError("snappy: bad uncompressed length")
    out = ctypes.create_string_buffer(n.value)
    if lib.snappy_uncompress(data, ctypes.c_size_t(len(data)), out, ctypes.byref(n)) != 0:
        raise ValueError("snappy: corrupt input")
    return out.raw[: n.value]


def snappy_framing(data: bytes) -> str:
    return "xerial" if data.startswith(XERIAL_MAGIC) else "raw"


def snappy_decompress(data: bytes) -> bytes:
    """Raw snappy, or the xerial/snappy-java framing (magic, version, compat, then [int32 len, raw block]...)."""
    if not data.startswith(XERIAL_MAGIC):
        return _snappy_raw(data)
    r = Reader(data, len(XERIAL_MAGIC) + 8)
    out = bytearray()
    while r.remaining():
        out += _snappy_raw(r._take(r.i32()))
    return bytes(out)


def lz4_decompress(data: bytes) -> bytes:
    if not data.startswith(LZ4_FRAME_MAGIC):
        raise ValueError(f"lz4: not an LZ4 frame (starts {data[:4].hex()})")
    lib = _load("lz4")
    if lib is None:
        raise Unavailable("liblz4 not found")
    lib.LZ4F_isError.restype = ctypes.c_uint
    lib.LZ4F_decompress.restype = ctypes.c_size_t
    lib.LZ4F_createDecompressionContext.restype = ctypes.c_size_t
    ctx = ctypes.c_void_p()
    if lib.LZ4F_isError(lib.LZ4F_createDecompressionContext(ctypes.byref(ctx), ctypes.c_uint(100))):
        raise RuntimeError("LZ4F_createDecompressionContext failed")
    try:
        out = bytearray()
        src = ctypes.create_string_buffer(data, len(data))
        pos = 0
        dst = ctypes.create_string_buffer(1 << 16)
        while True:
            dst_size = ctypes.c_size_t(len(dst))
            src_size = ctypes.c_size_t(len(data) - pos)
            hint = lib.LZ4F_decompress(
                ctx, dst, ctypes.byref(dst_size), ctypes.byref(src, pos), ctypes.byref(src_size), None
            )
            if lib.LZ4F_isError(ctypes.c_size_t(hint)):
                raise ValueError("lz4: corrupt frame")
            out += dst.raw[: dst_size.value]
            pos += src_size.value
            if hint == 0:
                break
            if pos >= len(data) and dst_size.value == 0:
                raise ValueError("lz4: truncated frame")
        if pos != len(data):
            raise ValueError(f"lz4: {len(data) - pos} bytes after the frame")
        return bytes(out)
    finally:
        lib.LZ4F_freeDecompressionContext(ctx)


def zstd_decompress(data: bytes) -> bytes:
    lib = _load("zstd")
    if lib is None:
        raise Unavailable("libzstd not found")
    lib.ZSTD_getFrameContentSize.restype = ctypes.c_ulonglong
    lib.ZSTD_decompress.restype = ctypes.c_size_t
    lib.ZSTD_isError.restype = ctypes.c_uint
    size = lib.ZSTD_getFrameContentSize(data, ctypes.c_size_t(len(data)))
    if size >= (1 << 64) - 2:  # unknown (-1) or error (-2)
        cap = max(1 << 20, len(data) * 64)
    else:
        cap = size
    while True:
        out = ctypes.create_string_buffer(max(cap, 1))
        n = lib.ZSTD_decompress(out, ctypes.c_size_t(cap), data, ctypes.c_size_t(len(data)))
        if not lib.ZSTD_isError(ctypes.c_size_t(n)):
            return out.raw[:n]
        if cap >= 1 << 28:
            raise ValueError("zstd: corrupt frame")
        cap *= 4


def decompress(codec: int, data: bytes) -> bytes:
    if codec == 0:
        return data
    if codec == 1:
        d = zlib.decompressobj(wbits=31)
        out = d.decompress(data) + d.flush()
        if not d.eof:
            raise ValueError("gzip: truncated stream")
        return out
    if codec == 2:
        return snappy_decompress(data)
    if codec == 3:
        return lz4_decompress(data)
    if codec == 4:
        return zstd_decompress(data)
    raise ValueError(f"unknown codec {codec}")


def framing_of(codec: int, payload: bytes) -> str:
    """Human-readable description of how a compressed payload is framed."""
    if codec == 0:
        return "uncompressed"
    if codec == 1:
        return "gzip member (RFC 1952)" if payload.startswith(GZIP_MAGIC) else f"not gzip ({payload[:2].hex()})"
    if codec == 2:
        return "xerial snappy-java framing" if snappy_framing(payload) == "xerial" else "raw snappy block (no framing)"
    if codec == 3:
        if payload.startswith(LZ4_FRAME_MAGIC):
            flg = payload[4]
            bd = payload[5]
            block_max = {4: "64KB", 5: "256KB", 6: "1MB", 7: "4MB"}.get((bd >> 4) & 7, "?")
            bits = []
            bits.append("independent blocks" if flg & 0x20 else "linked blocks")
            if flg & 0x10:
                bits.append("block checksums")
            if flg & 0x08:
                bits.append("content size")
            if flg & 0x04:
                bits.append("content checksum")
            return f"LZ4 frame format (max block {block_max}, {', '.join(bits)})"
        return f"not an LZ4 frame ({payload[:4].hex()})"
    if codec == 4:
        if not payload.startswith(ZSTD_FRAME_MAGIC):
            return f"not zstd ({payload[:4].hex()})"
        fhd = payload[4]
        has_size = (fhd >> 6) != 0 or bool(fhd & 0x20)
        bits = ["content size" if has_size else "no content size"]
        bits.append("single segment" if fhd & 0x20 else "window descriptor")
        if fhd & 0x04:
            bits.append("content checksum")
        if fhd & 0x03:
            bits.append("dictionary id")
        return f"zstd frame ({', '.join(bits)})"
    return "?"


@dataclass
class Record:
    key: Optional[bytes]
    value: Optional[bytes]
    headers: list[tuple[str, Optional[bytes]]] = field(default_factory=list)
    offset: int = -1
    timestamp: int = -1


def decode_batch(b: Batch) -> list[Record]:
    """Decodes all records of a batch (decompressing through the system libraries)."""
    data = decompress(b.codec, b.payload)
    r = Reader(data)
    out = []
    for _ in range(b.record_count):
        length = r.varint()
        end = r.pos + length
        r.i8()  # attributes
        ts_delta = r.varint()
        off_delta = r.varint()
        klen = r.varint()
        key = None if klen < 0 else r._take(klen)
        vlen = r.varint()
        value = None if vlen < 0 else r._take(vlen)
        headers = []
        for _ in range(r.varint()):
            hk = r._take(r.varint()).decode()
            hvlen = r.varint()
            headers.append((hk, None if hvlen < 0 else r._take(hvlen)))
        if r.pos != end:
            raise ValueError(f"record length {length} disagrees with its contents")
        out.append(Record(key, value, headers, b.base_offset + off_delta, b.base_timestamp + ts_delta))
    if r.remaining():
        raise ValueError(f"{r.remaining()} bytes after the last record")
    return out


# --------------------------------------------------------------------------------------------------
# expected.json
#
# {"records": [{"key": "k" | null, "value": "v" | null,
#               "headers": [{"key": "a", "value": "b" | null}, ...]}, ...]}
#
# Strings are UTF-8. For binary data use "key_hex" / "value_hex" (and "value_hex" inside a header)
# instead of "key" / "value". An optional "timestamp" (ms) is compared when present.


def _field(obj: dict, name: str) -> Optional[bytes]:
    if f"{name}_hex" in obj:
        h = obj[f"{name}_hex"]
        return None if h is None else bytes.fromhex(h)
    v = obj.get(name)
    return None if v is None else v.encode()


def records_from_expected(path: Path) -> list[Record]:
    doc = json.loads(Path(path).read_text())
    out = []
    for rec in doc["records"]:
        headers = [(h["key"], _field(h, "value")) for h in rec.get("headers", [])]
        out.append(Record(_field(rec, "key"), _field(rec, "value"), headers, timestamp=rec.get("timestamp", -1)))
    return out


def _text_or_hex(name: str, b: Optional[bytes]) -> dict:
    if b is None:
        return {name: None}
    try:
        return {name: b.decode()}
    except UnicodeDecodeError:
        return {f"{name}_hex": b.hex()}


def records_to_expected(records: list[Record], description: str = "") -> str:
    recs = []
    for r in records:
        d = {}
        d.update(_text_or_hex("key", r.key))
        d.update(_text_or_hex("value", r.value))
        d["headers"] = [{"key": k, **_text_or_hex("value", v)} for k, v in r.headers]
        recs.append(d)
    doc = {"description": description, "records": recs} if description else {"records": recs}
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def short(b: Optional[bytes], n: int = 40) -> str:
    if b is None:
        return "null"
    s = repr(b[:n])[1:]
    return s + (f"...({len(b)} bytes)" if len(b) > n else "")


def die(msg: str, code: int = 1):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(code)
