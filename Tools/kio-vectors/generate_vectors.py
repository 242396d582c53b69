#!/usr/bin/env python3
"""Generate Kafka protocol conformance vectors with kio, an independent codec.

For every (message, version) that both our JSON schemas and kio define, this builds a few
deterministic value trees (minimal, random, large), encodes them with kio, decodes kio's bytes
with kio again (round trip), and writes the bytes plus the field values -- named as in OUR
schemas -- to ``Tests/KafkaProtocolTests/Vectors/<SchemaName>.json``. The Swift tests decode
those bytes with our generated code, compare the field values, and re-encode.

Run from the package root:  python3 Tools/kio-vectors/generate_vectors.py
See README.md next to this file.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import io
import json
import os
import random
import re
import struct
import sys
import uuid

from dataclasses import MISSING
from typing import Any

try:
    import kio
    from kio.index import load_entity_schema
    from kio.schema.errors import ErrorCode
    from kio.schema.index import api_key_map
    from kio.schema.index import schema_name_map
    from kio.serial import entity_reader
    from kio.serial import entity_writer
    from kio.serial._implicit_defaults import get_tagged_field_default
    from kio.serial._introspect import EntityField
    from kio.serial._introspect import EntityTupleField
    from kio.serial._introspect import PrimitiveField
    from kio.serial._introspect import PrimitiveTupleField
    from kio.serial._introspect import classify_field
    from kio.serial._introspect import get_field_tag
    from kio.serial._introspect import is_optional
    from kio.serial.readers import tz_aware_from_i64
    from kio.static.constants import EntityType
except ImportError as exc:  # pragma: no cover
    sys.exit(f"error: kio is not installed ({exc}); run: pip install -r Tools/kio-vectors/requirements.txt")

KIO_VERSION = "0.6.5"

ZERO_UUID = "00000000-0000-0000-0000-000000000000"

INT_RANGES = {
    "int8": (-(2**7), 2**7 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1),
}
PRIMITIVES = set(INT_RANGES) | {"float64", "bool", "string", "bytes", "records", "uuid"}

# Which kio `kafka_type`s may carry each of our wire types.
COMPATIBLE_KIO_TYPES = {
    "int8": {"int8"},
    "int16": {"int16", "error_code"},
    "int32": {"int32", "timedelta_i32"},
    "int64": {"int64", "timedelta_i64", "datetime_i64"},
    "uint16": {"uint16"},
    "uint32": {"uint32"},
    "float64": {"float64"},
    "bool": {"bool"},
    "string": {"string"},
    "bytes": {"bytes"},
    "records": {"records"},
    "uuid": {"uuid"},
}

# kio's i64 timedelta goes through float seconds (`total_seconds() * 1000`), so keep
# milliseconds well inside the exactly representable range.
TIMEDELTA_I64_LIMIT = 2**43
# kio's datetimes are timezone-aware and non-negative (-1 means None where kio allows it).
# kio builds datetimes from float seconds, which loses the millisecond beyond ~2**43 ms, so stay
# below 2**42 ms (year 2109).
DATETIME_MAX_MS = 2**42

ERROR_CODES = sorted(int(e.value) for e in ErrorCode)

# Characters for random strings: ASCII plus 2-, 3- and 4-byte UTF-8 sequences.
STRING_POOL = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/ "
    "éüßñçøЖжДλΩ中文字日本語한국€™✓ℝ🚀😀🎉𝄞"
)


class Mismatch(Exception):
    """kio's layout of a (message, version) disagrees with our schema."""


# ---------------------------------------------------------------------------------------------
# Our schemas
# ---------------------------------------------------------------------------------------------


class Versions:
    def __init__(self, spec: str | None):
        spec = (spec or "none").strip()
        if spec == "none":
            self.lo, self.hi = 1, 0
        elif spec.endswith("+"):
            self.lo, self.hi = int(spec[:-1]), None
        elif "-" in spec:
            lo, hi = spec.split("-", 1)
            self.lo, self.hi = int(lo), int(hi)
        else:
            self.lo = self.hi = int(spec)

    def __contains__(self, v: int) -> bool:
        return v >= self.lo and (self.hi is None or v <= self.hi)

    def __iter__(self):
        if self.hi is None:
            raise ValueError("open range")
        return iter(range(self.lo, self.hi + 1))


class Field:
    def __init__(self, raw: dict, structs: dict[str, list[dict]], owner: str):
        self.name: str = raw["name"]
        self.type: str = raw["type"]
        self.versions = Versions(raw.get("versions"))
        self.nullable = Versions(raw.get("nullableVersions"))
        self.tagged = Versions(raw.get("taggedVersions"))
        self.tag: int | None = raw.get("tag")
        self.default: str | None = raw.get("default")
        # Only RequestHeader.ClientId overrides this ("none": always a legacy string).
        self.flexible_override: bool | None = (
            None if "flexibleVersions" not in raw else raw["flexibleVersions"] != "none"
        )
        self.is_array = self.type.startswith("[]")
        self.elem = self.type[2:] if self.is_array else self.type
        self.struct: list[Field] | None = None
        if self.elem not in PRIMITIVES:
            sub = raw.get("fields")
            if sub is None:
                sub = structs.get(self.elem)
            if sub is None:
                raise ValueError(f"{owner}.{self.name}: unknown type {self.type}")
            self.struct = [Field(f, structs, f"{owner}.{self.name}") for f in sub]

    def present(self, v: int) -> bool:
        return v in self.versions

    def is_tagged(self, v: int, flexible: bool) -> bool:
        return flexible and self.tag is not None and v in self.tagged


class Schema:
    def __init__(self, raw: dict):
        self.name: str = raw["name"]
        self.type: str = raw["type"]
        self.api_key: int | None = raw.get("apiKey")
        self.valid = Versions(raw.get("validVersions"))
        self.flexible = Versions(raw.get("flexibleVersions"))
        self.listeners: list[str] = raw.get("listeners", [])
        structs = {s["name"]: s["fields"] for s in raw.get("commonStructs", [])}
        self.fields = [Field(f, structs, self.name) for f in raw.get("fields", [])]


def load_schema(path: str) -> Schema:
    with open(path, encoding="utf-8") as fh:
        text = "".join(line for line in fh if not line.lstrip().startswith("//"))
    return Schema(json.loads(text))


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def select_schemas(schema_dir: str) -> list[Schema]:
    schemas = {}
    for fn in sorted(os.listdir(schema_dir)):
        if fn.endswith(".json"):
            s = load_schema(os.path.join(schema_dir, fn))
            schemas[s.name] = s
    selected: dict[str, Schema] = {}
    broker_keys = {
        s.api_key for s in schemas.values() if s.type == "request" and "broker" in s.listeners
    }
    for s in schemas.values():
        if s.type in ("request", "response") and s.api_key in broker_keys:
            selected[s.name] = s
    for name in ("ConsumerProtocolSubscription", "ConsumerProtocolAssignment", "RequestHeader", "ResponseHeader"):
        if name in schemas:
            selected[name] = schemas[name]
    return [selected[n] for n in sorted(selected)]


def kio_class(schema: Schema, version: int):
    """kio's entity class for one of our schemas at a version, or None when kio lacks it."""
    if schema.type in ("request", "response"):
        kio_name = api_key_map.get(schema.api_key)
        entity_type = EntityType.request if schema.type == "request" else EntityType.response
    else:
        kio_name = snake(schema.name)
        entity_type = EntityType.header if schema.type == "header" else EntityType.data
    if kio_name is None or version not in schema_name_map.get(kio_name, {}):
        return None
    if entity_type not in schema_name_map[kio_name][version]:
        return None
    return load_entity_schema(kio_name, version, entity_type)


def kio_versions(schema: Schema) -> set[int]:
    if schema.type in ("request", "response"):
        kio_name = api_key_map.get(schema.api_key)
    else:
        kio_name = snake(schema.name)
    return set(schema_name_map.get(kio_name, {}))


# ---------------------------------------------------------------------------------------------
# Matching our fields to kio's dataclass fields
# ---------------------------------------------------------------------------------------------


def norm(name: str) -> str:
    return name.replace("_", "").lower()


# Fields that upstream Kafka renamed after our schema snapshot without changing the wire format
# (KIP-1142 renamed ListClientMetricsResources to ListConfigResources), keyed by our field path.
RENAMED_UPSTREAM = {
    "ListClientMetricsResourcesResponse.ClientMetricsResources": "config_resources",
    "ListClientMetricsResourcesResponse.ClientMetricsResources.Name": "resource_name",
}


def names_correspond(path: str, ours: str, kio_name: str, kio_type: str | None) -> bool:
    a, b = norm(ours), norm(kio_name)
    if a == b or RENAMED_UPSTREAM.get(path) == kio_name:
        return True
    # kio gives millisecond fields semantic types and drops the unit from the name
    # (ThrottleTimeMs -> throttle_time: timedelta); keep only this documented rename.
    if kio_type in ("timedelta_i32", "timedelta_i64", "datetime_i64"):
        for suffix in ("ms", "millis", "timestampms"):
            if a.endswith(suffix) and a[: -len(suffix)] in (b, b + "timestamp"):
                return True
        if a.endswith("ms") and b.endswith("timestamp") and a[:-2] == b[: -len("timestamp")]:
            return True
    return False


class Slot:
    """One of our fields at a version, bound to kio's dataclass field."""

    def __init__(self, ours: Field, kf: dataclasses.Field, tagged: bool, nullable: bool):
        self.ours = ours
        self.kf = kf
        self.tagged = tagged
        self.nullable = nullable  # OUR nullability at this version
        self.kio_optional = is_optional(kf)
        self.kio_type: str | None = kf.metadata.get("kafka_type")
        self.sub: Layout | None = None


class Layout:
    """Our struct at a version, bound to a kio dataclass."""

    def __init__(self, cls, slots: list[Slot], kio_only_tags: list[dataclasses.Field], ours_only_tags: list[Field]):
        self.cls = cls
        self.slots = slots
        self.kio_only_tags = kio_only_tags
        self.ours_only_tags = ours_only_tags


def bind(fields: list[Field], cls, v: int, flexible: bool, path: str, notes: list[str]) -> Layout:
    if bool(cls.__flexible__) != flexible:
        raise Mismatch(f"{path}: flexible={flexible} ours vs {cls.__flexible__} kio")
    kio_fields = dataclasses.fields(cls)
    kio_plain = [f for f in kio_fields if get_field_tag(f) is None]
    kio_tagged = {int(get_field_tag(f)): f for f in kio_fields if get_field_tag(f) is not None}
    ours_present = [f for f in fields if f.present(v)]
    ours_plain = [f for f in ours_present if not f.is_tagged(v, flexible)]
    ours_tagged = [f for f in ours_present if f.is_tagged(v, flexible)]

    if len(ours_plain) != len(kio_plain):
        raise Mismatch(
            f"{path}: fields {[f.name for f in ours_plain]} ours vs {[f.name for f in kio_plain]} kio"
        )
    slots = []
    for o, k in zip(ours_plain, kio_plain):
        slots.append(bind_field(o, k, False, v, flexible, path, notes))
    ours_only = []
    for o in ours_tagged:
        k = kio_tagged.pop(o.tag, None)
        if k is None:
            ours_only.append(o)
            continue
        slots.append(bind_field(o, k, True, v, flexible, path, notes))
    if ours_only:
        raise Mismatch(f"{path}: tagged fields {[f.name for f in ours_only]} unknown to kio")
    kio_only = [kio_tagged[t] for t in sorted(kio_tagged)]
    for k in kio_only:
        notes.append(f"{path}.{k.name} (tag {get_field_tag(k)}): kio-only tagged field left at its default")
    # Keep our schema order for the emitted fields.
    order = {id(f): i for i, f in enumerate(ours_present)}
    slots.sort(key=lambda s: order[id(s.ours)])
    return Layout(cls, slots, kio_only, ours_only)


def bind_field(o: Field, k: dataclasses.Field, tagged: bool, v: int, flexible: bool, path: str, notes: list[str]) -> Slot:
    where = f"{path}.{o.name}"
    slot = Slot(o, k, tagged, v in o.nullable)
    fc = classify_field(k)
    if not names_correspond(where, o.name, k.name, slot.kio_type):
        raise Mismatch(f"{where}: name differs from kio's {k.name!r}")
    if norm(o.name) != norm(k.name):
        notes.append(f"rename: {where} -> kio {k.name} ({slot.kio_type or 'struct'})")
    if o.is_array != fc.is_array:
        raise Mismatch(f"{where}: array ours={o.is_array} kio={fc.is_array}")
    if o.struct is not None:
        if not isinstance(fc, (EntityField, EntityTupleField)):
            raise Mismatch(f"{where}: struct vs kio {fc}")
        slot.sub = bind(o.struct, fc.type_, v, flexible, where, notes)
    else:
        if not isinstance(fc, (PrimitiveField, PrimitiveTupleField)):
            raise Mismatch(f"{where}: {o.type} vs kio entity {fc}")
        if slot.kio_type not in COMPATIBLE_KIO_TYPES[o.elem]:
            raise Mismatch(f"{where}: type {o.type} vs kio {slot.kio_type}")
    # Nullability.
    lenient = (not o.is_array) and o.elem in ("uuid",) or slot.kio_type == "datetime_i64"
    if not lenient:
        if tagged:
            # kio models a tagged field that may be null as `T | None = None`.
            if slot.kio_optional and not slot.nullable:
                raise Mismatch(f"{where}: tagged, kio optional but not nullable in ours")
        elif slot.kio_optional != slot.nullable:
            raise Mismatch(f"{where}: nullable ours={slot.nullable} kio={slot.kio_optional}")
    return slot


# ---------------------------------------------------------------------------------------------
# Value generation (neutral values: int/float/bool/str/bytes/None/list/dict)
# ---------------------------------------------------------------------------------------------


def scalar_default(o: Field) -> Any:
    """The default of one of our non-struct, non-array fields, from our schema alone."""
    d = o.default
    if d == "null":
        return None
    t = o.elem
    if t in INT_RANGES:
        return d if isinstance(d, int) else int(d, 0) if d not in (None, "") else 0
    if t == "float64":
        return float(d) if d not in (None, "") else 0.0
    if t == "bool":
        return d if isinstance(d, bool) else (d or "false").lower() == "true"
    if t == "string":
        return d or ""
    if t in ("bytes", "records"):
        return b""
    if t == "uuid":
        return ZERO_UUID if not d else str(uuid.UUID(d))
    raise AssertionError(t)


def type_default(slot: Slot) -> Any:
    o = slot.ours
    if o.is_array:
        return None if o.default == "null" else []
    if o.struct is not None:
        return None if o.default == "null" else minimal_struct(slot.sub, tagged_defaults_only=True)
    return representable(slot, scalar_default(o))


def representable(slot: Slot, value: Any) -> Any:
    """Adjust an integer so that kio's semantic type for the slot can carry it."""
    kt = slot.kio_type
    if not isinstance(value, int) or isinstance(value, bool):
        return value
    if kt == "error_code" and value not in ERROR_CODES:
        return 0
    if kt == "timedelta_i64":
        return max(-TIMEDELTA_I64_LIMIT, min(TIMEDELTA_I64_LIMIT, value))
    if kt == "datetime_i64":
        if value == -1 and slot.kio_optional:
            return -1
        return max(0, min(DATETIME_MAX_MS, value))
    return value


def minimal_struct(layout: Layout, tagged_defaults_only: bool = False) -> dict:
    out = {}
    for slot in layout.slots:
        if slot.tagged or tagged_defaults_only:
            out[slot.ours.name] = type_default(slot)
        else:
            out[slot.ours.name] = minimal_value(slot)
    return out


def minimal_value(slot: Slot) -> Any:
    o = slot.ours
    if slot.nullable:
        return None
    if o.is_array:
        return []
    if o.struct is not None:
        return minimal_struct(slot.sub)
    return type_default(slot)


def random_string(rng: random.Random, n: int, max_bytes: int | None = None) -> str:
    s = "".join(rng.choice(STRING_POOL) for _ in range(n))
    if max_bytes is not None:
        while len(s.encode()) > max_bytes:
            s = s[:-1]
    return s


def random_int(slot: Slot, rng: random.Random) -> int:
    kt = slot.kio_type
    if kt == "error_code":
        return rng.choice(ERROR_CODES)
    lo, hi = INT_RANGES[slot.ours.elem]
    if kt == "timedelta_i64":
        lo, hi = -TIMEDELTA_I64_LIMIT, TIMEDELTA_I64_LIMIT
    elif kt == "datetime_i64":
        lo, hi = (-1 if slot.kio_optional else 0), DATETIME_MAX_MS
    pick = rng.random()
    if pick < 0.25:
        value = rng.choice([lo, hi, -1, 0, 1, lo + 1, hi - 1])
    elif pick < 0.5:
        value = rng.randint(-1000, 1000)
    else:
        value = rng.randint(lo, hi)
    value = max(lo, min(hi, value))
    if kt == "datetime_i64" and value < 0 and value != -1:
        value = 0
    return value


def random_float(rng: random.Random) -> float:
    pick = rng.random()
    if pick < 0.3:
        return rng.choice([0.0, 1.0, -1.5, 0.1, 1e-300, -2.5e-10, 1.7976931348623157e308, 5e-324, 12345.678])
    if pick < 0.6:
        return round(rng.uniform(-1e6, 1e6), rng.randint(0, 6))
    return rng.uniform(-1.0, 1.0) * 10.0 ** rng.randint(-30, 30)


class Mode:
    MINIMAL = "minimal"
    RANDOM = "random"
    LARGE = "large"


def random_scalar(slot: Slot, rng: random.Random, large: bool, flexible: bool) -> Any:
    t = slot.ours.elem
    if t in INT_RANGES:
        return random_int(slot, rng)
    if t == "float64":
        return random_float(rng)
    if t == "bool":
        return rng.random() < 0.5
    if t == "string":
        n = rng.randint(100, 400) if large else rng.randint(0, 12)
        return random_string(rng, n, None if flexible else 32767)
    if t in ("bytes", "records"):
        n = rng.randint(200, 1500) if large else rng.randint(0, 24)
        return bytes(rng.getrandbits(8) for _ in range(n))
    if t == "uuid":
        if rng.random() < 0.1:
            return ZERO_UUID
        return str(uuid.UUID(int=rng.getrandbits(128)))
    raise AssertionError(t)


def random_struct(layout: Layout, rng: random.Random, mode: str, depth: int, flexible: bool) -> dict:
    out = {}
    for slot in layout.slots:
        out[slot.ours.name] = random_value(slot, rng, mode, depth, flexible)
    return out


def random_value(slot: Slot, rng: random.Random, mode: str, depth: int, flexible: bool) -> Any:
    large = mode == Mode.LARGE
    if slot.tagged:
        # Tagged fields: mostly a non-default value so that they are actually encoded.
        if rng.random() < 0.15:
            return type_default(slot)
        default = type_default(slot)
        for _ in range(8):
            value = random_nonnull(slot, rng, mode, depth, flexible)
            if value != default:
                return value
        return value
    if slot.nullable and rng.random() < (0.08 if large else 0.2):
        return None
    return random_nonnull(slot, rng, mode, depth, flexible)


def random_nonnull(slot: Slot, rng: random.Random, mode: str, depth: int, flexible: bool) -> Any:
    o = slot.ours
    large = mode == Mode.LARGE
    if o.is_array:
        if large and depth == 0:
            n = rng.randint(20, 200) if o.struct is None else rng.randint(20, 40)
            inner_mode = Mode.RANDOM
        elif large:
            n = rng.randint(0, 2)
            inner_mode = Mode.RANDOM
        else:
            n = rng.randint(0, 4 if depth == 0 else 2)
            inner_mode = mode
        if o.struct is not None:
            return [random_struct(slot.sub, rng, inner_mode, depth + 1, flexible) for _ in range(n)]
        return [random_scalar(slot, rng, False, flexible) for _ in range(n)]
    if o.struct is not None:
        return random_struct(slot.sub, rng, mode, depth, flexible)
    # Long strings/bytes only near the top of a large vector.
    return random_scalar(slot, rng, large and depth == 0, flexible)


# ---------------------------------------------------------------------------------------------
# Conversion between neutral values and kio objects
# ---------------------------------------------------------------------------------------------


def scalar_to_kio(slot: Slot, value: Any) -> Any:
    kt = slot.kio_type
    if kt == "uuid":
        return None if value is None or value == ZERO_UUID else uuid.UUID(value)
    if value is None:
        return None
    if kt == "error_code":
        return ErrorCode(value)
    if kt in ("timedelta_i32", "timedelta_i64"):
        return datetime.timedelta(milliseconds=value)
    if kt == "datetime_i64":
        if value == -1 and slot.kio_optional:
            return None
        return tz_aware_from_i64(value)
    return value


def scalar_from_kio(slot: Slot, value: Any) -> Any:
    kt = slot.kio_type
    t = slot.ours.elem
    if kt == "uuid":
        return ZERO_UUID if value is None else str(value)
    if kt == "datetime_i64":
        # As kio's writer does: round(timestamp() * 1000).
        return -1 if value is None else round(value.timestamp() * 1000)
    if value is None:
        return None
    if kt in ("timedelta_i32", "timedelta_i64"):
        # As kio's writer does: round(total_seconds() * 1000).
        return round(value.total_seconds() * 1000)
    if t in INT_RANGES:
        return int(value)
    if t == "float64":
        return float(value)
    if t == "bool":
        return bool(value)
    if t == "string":
        return str(value)
    if t in ("bytes", "records"):
        return bytes(value)
    raise AssertionError(t)


def to_kio(layout: Layout, values: dict):
    kwargs = {}
    for slot in layout.slots:
        value = values[slot.ours.name]
        kwargs[slot.kf.name] = slot_to_kio(slot, value)
    for kf in layout.kio_only_tags:
        kwargs[kf.name] = kf.default if kf.default is not MISSING else get_tagged_field_default(kf)
    return layout.cls(**kwargs)


def slot_to_kio(slot: Slot, value: Any) -> Any:
    o = slot.ours
    if o.is_array:
        if value is None:
            return None
        if o.struct is not None:
            return tuple(to_kio(slot.sub, v) for v in value)
        return tuple(scalar_to_kio(slot, v) for v in value)
    if o.struct is not None:
        return None if value is None else to_kio(slot.sub, value)
    return scalar_to_kio(slot, value)


def from_kio(layout: Layout, obj) -> dict:
    out = {}
    for slot in layout.slots:
        out[slot.ours.name] = slot_from_kio(slot, getattr(obj, slot.kf.name))
    for kf in layout.kio_only_tags:
        default = kf.default if kf.default is not MISSING else get_tagged_field_default(kf)
        if getattr(obj, kf.name) != default:
            raise AssertionError(f"kio-only tagged field {kf.name} decoded as non-default")
    return out


def slot_from_kio(slot: Slot, value: Any) -> Any:
    o = slot.ours
    if o.is_array:
        if value is None:
            return None
        if o.struct is not None:
            return [from_kio(slot.sub, v) for v in value]
        return [scalar_from_kio(slot, v) for v in value]
    if o.struct is not None:
        return None if value is None else from_kio(slot.sub, value)
    return scalar_from_kio(slot, value)


def to_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return value


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


class SchemaReader:
    """A small decoder driven by OUR schema only, used to cross-check kio's bytes against the
    recorded field values (so a vector never encodes something our schema would read differently)."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise AssertionError("schema check: read past the end")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def uvarint(self) -> int:
        value = shift = 0
        while True:
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def length(self, compact: bool, legacy_fmt: str) -> int | None:
        n = self.uvarint() - 1 if compact else self.unpack(legacy_fmt)
        return None if n < 0 else n

    def scalar(self, f: Field, v: int, flexible: bool) -> Any:
        t = f.elem
        if t in INT_RANGES or t in ("float64", "bool"):
            fmt = {"int8": ">b", "int16": ">h", "int32": ">i", "int64": ">q", "uint16": ">H",
                   "uint32": ">I", "float64": ">d", "bool": ">B"}[t]
            value = self.unpack(fmt)
            if t == "bool":
                if value not in (0, 1):
                    raise AssertionError(f"schema check: bool byte {value}")
                return value == 1
            return value
        if t == "uuid":
            return str(uuid.UUID(bytes=self.take(16)))
        compact = flexible and f.flexible_override is not False
        n = self.length(compact, ">h" if t == "string" else ">i")
        if n is None:
            if v not in f.nullable:
                raise AssertionError(f"schema check: null for non-nullable {f.name}")
            return None
        raw = self.take(n)
        return raw.decode("utf-8") if t == "string" else raw

    def value(self, f: Field, v: int, flexible: bool) -> Any:
        if f.is_array:
            n = self.length(flexible, ">i")
            if n is None:
                if v not in f.nullable:
                    raise AssertionError(f"schema check: null array for non-nullable {f.name}")
                return None
            if f.struct is not None:
                return [self.struct(f.struct, v, flexible) for _ in range(n)]
            return [self.scalar(f, v, flexible) for _ in range(n)]
        if f.struct is not None:
            if v in f.nullable:
                marker = self.unpack(">b")
                if marker < 0:
                    return None
            return self.struct(f.struct, v, flexible)
        return self.scalar(f, v, flexible)

    def struct(self, fields: list[Field], v: int, flexible: bool) -> dict:
        present = [f for f in fields if f.present(v)]
        out = {}
        for f in present:
            out[f.name] = None if f.is_tagged(v, flexible) else self.value(f, v, flexible)
        if flexible:
            tagged = {f.tag: f for f in present if f.is_tagged(v, flexible)}
            seen = set()
            for _ in range(self.uvarint()):
                tag, size = self.uvarint(), self.uvarint()
                end = self.pos + size
                f = tagged.get(tag)
                if f is None:
                    self.take(size)  # a tag unknown to our schema
                    continue
                out[f.name] = self.value(f, v, flexible)
                if self.pos != end:
                    raise AssertionError(f"schema check: tag {tag} size mismatch")
                seen.add(tag)
            for tag, f in tagged.items():
                if tag not in seen:
                    out[f.name] = schema_default(f, v)
        return out


def schema_default(f: Field, v: int) -> Any:
    if f.is_array:
        return None if f.default == "null" else []
    if f.struct is not None:
        if f.default == "null":
            return None
        return {g.name: schema_default(g, v) for g in f.struct if g.present(v)}
    return scalar_default(f)


def check_against_schema(schema: Schema, v: int, data: bytes, fields: Any) -> None:
    reader = SchemaReader(data)
    decoded = reader.struct(schema.fields, v, v in schema.flexible)
    if reader.pos != len(data):
        raise AssertionError(f"schema check: {len(data) - reader.pos} trailing bytes")
    if to_json(decoded) != fields:
        raise AssertionError("schema check: our-schema decoding of kio's bytes differs from the fields")


def seed_for(*parts: object) -> int:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def encode(cls, obj) -> bytes:
    buf = io.BytesIO()
    entity_writer(cls)(buf, obj)
    return buf.getvalue()


def make_vector(schema: Schema, layout: Layout, version: int, mode: str) -> dict:
    flexible = version in schema.flexible
    rng = random.Random(seed_for(schema.name, version, mode))
    if mode == Mode.MINIMAL:
        values = minimal_struct(layout)
    else:
        values = random_struct(layout, rng, mode, 0, flexible)
    obj = to_kio(layout, values)
    data = encode(layout.cls, obj)
    decoded, size = entity_reader(layout.cls)(data, 0)
    if size != len(data):
        raise AssertionError(f"kio decoded {size} of {len(data)} bytes")
    if decoded != obj:
        raise AssertionError("kio round trip changed the value")
    if encode(layout.cls, decoded) != data:
        raise AssertionError("kio re-encoding differs")
    back = from_kio(layout, decoded)
    if to_json(back) != to_json(values):
        raise AssertionError("decoded field values differ from the generated ones")
    fields = to_json(back)
    check_against_schema(schema, version, data, fields)
    return {"version": version, "hex": data.hex(), "fields": fields}


def compact_versions(versions: list[int]) -> str:
    runs: list[list[int]] = []
    for v in versions:
        if runs and runs[-1][-1] == v - 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ",".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def dump_file(path: str, message: str, vectors: list[dict]) -> int:
    def dumps(x: Any) -> str:
        return json.dumps(x, separators=(",", ":"), ensure_ascii=True, allow_nan=False)

    lines = [dumps(v) for v in vectors]
    text = '{"message":' + dumps(message) + ',"vectors":[\n' + ",\n".join(lines) + "\n]}\n"
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return len(text.encode())


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", ".."))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--schemas",
        default=os.path.join(root, "Vendor", "kafka-protocol", "messages"),
        help="directory of Kafka message JSON schemas (default: Vendor/kafka-protocol/messages "
        "in the package)",
    )
    parser.add_argument(
        "--output",
        default=os.path.join(root, "Tests", "KafkaProtocolTests", "Vectors"),
        help="output directory (default: Tests/KafkaProtocolTests/Vectors)",
    )
    parser.add_argument("--verbose", action="store_true", help="also list kio-only tagged fields")
    args = parser.parse_args()

    installed = getattr(getattr(kio, "_version", None), "__version__", None) or getattr(kio, "__version__", None)
    if installed and installed != KIO_VERSION:
        print(f"warning: kio {installed} installed, vectors are pinned to kio {KIO_VERSION}", file=sys.stderr)

    schemas = select_schemas(args.schemas)
    os.makedirs(args.output, exist_ok=True)

    skipped: list[tuple[str, int, str]] = []
    notes: set[str] = set()
    written_files: set[str] = set()
    pairs = vectors_total = bytes_total = 0
    not_in_kio: list[str] = []
    ours_only_versions: list[str] = []

    for schema in schemas:
        theirs = kio_versions(schema)
        versions = [v for v in schema.valid if v in theirs]
        if not versions:
            not_in_kio.append(schema.name)
            continue
        missing = [v for v in schema.valid if v not in theirs]
        if missing:
            ours_only_versions.append(f"{schema.name} v{compact_versions(missing)}")
        vectors = []
        for v in versions:
            cls = kio_class(schema, v)
            if cls is None:
                continue
            flexible = v in schema.flexible
            pair_notes: list[str] = []
            try:
                layout = bind(schema.fields, cls, v, flexible, schema.name, pair_notes)
            except Mismatch as exc:
                skipped.append((schema.name, v, f"layout: {exc}"))
                continue
            except Exception as exc:  # kio's introspection failed on this class
                skipped.append((schema.name, v, f"kio: {type(exc).__name__}: {exc}"))
                continue
            try:
                produced = [make_vector(schema, layout, v, m) for m in (Mode.MINIMAL, Mode.RANDOM, Mode.LARGE)]
            except Exception as exc:  # kio failed to encode/decode, or the round trip differs
                skipped.append((schema.name, v, f"kio: {type(exc).__name__}: {exc}"))
                continue
            notes.update(pair_notes)
            pairs += 1
            vectors.extend(produced)
        if not vectors:
            continue
        fn = schema.name + ".json"
        bytes_total += dump_file(os.path.join(args.output, fn), schema.name, vectors)
        written_files.add(fn)
        vectors_total += len(vectors)

    # Drop stale vector files and the placeholder.
    for fn in sorted(os.listdir(args.output)):
        if (fn.endswith(".json") and fn not in written_files) or (fn == ".keep" and written_files):
            os.remove(os.path.join(args.output, fn))

    print(f"kio {installed or '?'}; schemas from {args.schemas}")
    print(f"messages: {len(written_files)} files ({len(schemas)} selected schemas)")
    print(f"(message, version) pairs: {pairs}")
    print(f"vectors written: {vectors_total} ({bytes_total} bytes) to {args.output}")
    print(f"pairs skipped: {len(skipped)}")
    sys.stdout.flush()
    if ours_only_versions:
        print(
            f"versions only in our schemas (kio's newer Kafka dropped them): {'; '.join(ours_only_versions)}",
            file=sys.stderr,
        )
    if not_in_kio:
        print(f"warning: schemas kio does not define: {', '.join(not_in_kio)}", file=sys.stderr)
    if skipped:
        print(f"warning: skipped {len(skipped)} (message, version) pairs:", file=sys.stderr)
        for name, v, reason in skipped:
            print(f"  {name} v{v}: {reason}", file=sys.stderr)
    if notes and args.verbose:
        print("notes (renames accepted, kio-only tagged fields left at default):", file=sys.stderr)
        for n in sorted(notes):
            print(f"  {n}", file=sys.stderr)
    return 0 if vectors_total else 1


if __name__ == "__main__":
    sys.exit(main())
