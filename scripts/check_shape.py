#!/usr/bin/env python3
"""Checks the limits issue 10 set on the code's shape: no source file in src/ over 450 lines,
no function over 80 lines, and src/pipeline.cc's orchestration under 250 lines.

Functions are found the way clang-format lays them out: a definition starts at column 0 (or at
class indentation) with a line ending in '{' whose text has a parameter list, and ends at the
'}' with the same indentation. Exits 1 and names each offender."""
import pathlib
import re
import sys

MAX_FILE, MAX_FUNCTION, MAX_PIPELINE = 450, 80, 250
root = pathlib.Path(__file__).resolve().parent.parent
start = re.compile(r"^(\s*)[^\s#/].*\)\s*(const\s*)?(override\s*)?(noexcept\s*)?(->.*)?\{$")
bad = []
for path in sorted((root / "src").glob("*.[ch]*")):
    lines = path.read_text().splitlines()
    if len(lines) > MAX_FILE:
        bad.append(f"{path.name}: {len(lines)} lines (limit {MAX_FILE})")
    if path.name == "pipeline.cc" and len(lines) > MAX_PIPELINE:
        bad.append(f"{path.name}: {len(lines)} lines (orchestration limit {MAX_PIPELINE})")
    i = 0
    while i < len(lines):
        m = start.match(lines[i])
        keyword = lines[i].strip().split("(")[0].split()
        if m and not (keyword and keyword[0] in ("if", "for", "while", "switch", "catch", "else")):
            indent = m.group(1)
            end = next((j for j in range(i + 1, len(lines)) if lines[j] == indent + "}"
                        or lines[j].startswith(indent + "}") and lines[j].strip() in ("}", "};", "});")), None)
            if end is not None:
                length = end - i + 1
                if length > MAX_FUNCTION:
                    bad.append(f"{path.name}:{i + 1}: function of {length} lines (limit {MAX_FUNCTION})")
                i = end
        i += 1
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
