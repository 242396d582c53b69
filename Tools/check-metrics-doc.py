#!/usr/bin/env python3
"""Keeps docs/metrics.md true: every swift-metrics label the sources create is documented there, and every metric the
document lists still exists in the sources.

A label is a string literal given as `label:` to a Counter, Timer, Recorder, Gauge or Meter, or a suffix given to a
file's `name(...)` helper whose prefix is the file's `"kafka_<client>_\\(suffix)"` literal.

    Tools/check-metrics-doc.py   # exits 1 with one line per problem
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(ROOT, "docs", "metrics.md")
INSTRUMENT = re.compile(r"\b(?:Counter|FloatingPointCounter|Timer|Recorder|Gauge|Meter)\(\s*label:\s*(?:\"([^\"]+)\"|name\(\"([^\"]+)\"\))")
PREFIX = re.compile(r"\"(kafka_[a-z]+_)\\\(suffix\)\"")
DOCUMENTED = re.compile(r"^\|\s*`(kafka_[a-z0-9_]+)`", re.MULTILINE)


def source_labels():
    """(label, file) for every instrument created in Sources/."""
    found = []
    for directory, _, files in os.walk(os.path.join(ROOT, "Sources")):
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            prefix = PREFIX.search(text)
            for match in INSTRUMENT.finditer(text):
                literal, suffix = match.groups()
                relative = os.path.relpath(path, ROOT)
                if literal is not None:
                    found.append((literal, relative))
                elif prefix:
                    found.append((prefix.group(1) + suffix, relative))
                else:
                    found.append((None, f"{relative}: name(\"{suffix}\") without a \"kafka_<client>_\\(suffix)\" prefix"))
    return found


def main():
    with open(DOC, encoding="utf-8") as handle:
        documented = set(DOCUMENTED.findall(handle.read()))
    problems = []
    labels = source_labels()
    if not labels:
        problems.append("no metric labels found in Sources/ (has the pattern changed?)")
    in_sources = set()
    for label, where in labels:
        if label is None:
            problems.append(where)
            continue
        in_sources.add(label)
        if label not in documented:
            problems.append(f"{where}: metric `{label}` is not in a table of docs/metrics.md")
    for label in sorted(documented - in_sources):
        problems.append(f"docs/metrics.md: `{label}` is documented but no source creates it")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"docs/metrics.md documents all {len(in_sources)} metrics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
