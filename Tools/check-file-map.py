#!/usr/bin/env python3
"""Keeps docs/design.md's file map true: every row names paths that exist, every source file under Sources/ is
covered by a row, and rows are grouped by module in the package's order.

    Tools/check-file-map.py          # check; exits 1 with one line per problem
    Tools/check-file-map.py --write  # reorders the rows by module (stable), then checks
"""
import fnmatch
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DESIGN = os.path.join(ROOT, "docs", "design.md")
# The order of the map: the package's layers from the wire up, then the tools, test support, and the rest.
GROUPS = [
    "Vendor/", "Sources/CCRC32C/", "Sources/KafkaProtocol/", "Sources/CZlib/", "Sources/KafkaCompression/",
    "Sources/KafkaNetwork/",
    "Sources/Kafka/", "Sources/KafkaProducer/", "Sources/KafkaConsumer/", "Sources/KafkaAdmin/",
    "Sources/KafkaDevCluster/", "Sources/KafkaCLISupport/", "Sources/CKafkaToolMalloc/", "Sources/Tools/",
    "Sources/CRdKafka/", "Sources/KafkaTestSupport/", "Examples/", "Snippets/", "Benchmarks/", "Tools/", "Tests/",
]
TOP = ("Sources/", "Tools/", "Tests/", "Examples/", "Benchmarks/", "Snippets/", "Vendor/", "docs/")


def group_of(path):
    for index, prefix in enumerate(GROUPS):
        if path.startswith(prefix):
            return index
    return len(GROUPS)


def expand(token):
    match = re.search(r"\{([^}]*)\}", token)
    if not match:
        return [token]
    out = []
    for part in match.group(1).split(","):
        out += expand(token[: match.start()] + part + token[match.end():])
    return out


def row_paths(cell):
    tokens = re.findall(r"`([^`]+)`", cell)
    paths = []
    base = None
    for token in tokens:
        if token.startswith(TOP):
            path = token
            base = token if token.endswith("/") else os.path.dirname(token) + "/"
            # A directory named after files of another (`Sources/A/`, `Sources/B/`) keeps its own base.
            if token.endswith("/"):
                base = os.path.dirname(token.rstrip("/")) + "/"
        elif base is not None:
            path = base + token
        else:
            continue
        paths += expand(path)
    return paths


def exists(path):
    if "*" in path:
        directory = os.path.join(ROOT, os.path.dirname(path))
        if not os.path.isdir(directory):
            return False
        return any(fnmatch.fnmatch(name, os.path.basename(path)) for name in os.listdir(directory))
    return os.path.exists(os.path.join(ROOT, path))


def covers(path, file):
    if path.endswith("/"):
        return file.startswith(path)
    if "*" in path:
        return fnmatch.fnmatch(file, path)
    return file == path


def main():
    text = open(DESIGN).read()
    lines = text.split("\n")
    start = lines.index("## File map")
    header = next(i for i in range(start, len(lines)) if lines[i].startswith("| --- "))
    end = header + 1
    while end < len(lines) and lines[end].startswith("| "):
        end += 1
    rows = lines[header + 1 : end]
    parsed = [(row, row_paths(row.split(" | ")[0])) for row in rows]
    problems = []
    for row, paths in parsed:
        if not paths:
            problems.append(f"a row names no path: {row[:80]}")
    if "--write" in sys.argv:
        ordered = sorted(parsed, key=lambda item: group_of(item[1][0]) if item[1] else len(GROUPS))
        lines[header + 1 : end] = [row for row, _ in ordered]
        open(DESIGN, "w").write("\n".join(lines))
        parsed = ordered
    groups = [group_of(paths[0]) for _, paths in parsed if paths]
    for previous, (row, paths) in zip(groups, parsed[1:]):
        if paths and group_of(paths[0]) < previous:
            problems.append(f"row out of module order (run Tools/check-file-map.py --write): {paths[0]}")
    for _, paths in parsed:
        for path in paths:
            if not exists(path):
                problems.append(f"the map names a path that does not exist: {path}")
    all_paths = [path for _, paths in parsed for path in paths]
    for directory, _, files in os.walk(os.path.join(ROOT, "Sources")):
        for name in files:
            if not name.endswith((".swift", ".c", ".h", ".modulemap")):
                continue
            file = os.path.relpath(os.path.join(directory, name), ROOT)
            if not any(covers(path, file) for path in all_paths):
                problems.append(f"no row of the file map covers {file}")
    for problem in problems:
        print(f"file map: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"file map: {len(parsed)} rows cover every source file, in module order")
    return 0


if __name__ == "__main__":
    sys.exit(main())
