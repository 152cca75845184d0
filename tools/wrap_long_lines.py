#!/usr/bin/env python3
"""Wraps Swift source lines over a limit that swift-format cannot break: comment lines and string literals.

- `//` and `///` comment lines: re-flowed at word boundaries onto continuation lines with the same prefix.
- A line holding a plain "…" string literal (not raw, not multi-line) that crosses the limit: the literal is cut
  at a space outside any interpolation into `"first part " +` and `"rest"` on the next line, indented one level
  deeper than the line (repeated until every piece fits).
Everything else is left alone and listed, so a person can deal with it.

Usage: tools/wrap_long_lines.py [--limit 120] FILE...   (rewrites the files in place)
"""
import argparse
import re
import sys


def literal_spans(line):
    """(start, end) of each plain string literal on the line (end exclusive) with the interpolation depth map."""
    spans, i, n = [], 0, len(line)
    while i < n:
        c = line[i]
        if line.startswith("//", i):
            break
        if c == '"':
            if line.startswith('"""', i) or (i > 0 and line[i - 1] == "#"):
                return None  # multi-line or raw strings: leave the line alone
            start, i, depth_at = i, i + 1, {}
            depth = 0
            while i < n:
                ch = line[i]
                if depth == 0:
                    if ch == "\\" and i + 1 < n and line[i + 1] == "(":
                        depth, i = 1, i + 2
                        continue
                    if ch == "\\":
                        i += 2
                        continue
                    if ch == '"':
                        break
                    depth_at[i] = 0
                else:
                    if ch == "(":
                        depth += 1
                    elif ch == ")":
                        depth -= 1
                    elif ch == '"':
                        return None  # a nested literal inside an interpolation: too clever to cut safely
                i += 1
            if i >= n:
                return None
            spans.append((start, i + 1, depth_at))
        i += 1
    return spans


def split_literal_line(line, limit):
    spans = literal_spans(line)
    if not spans:
        return None
    indent = len(line) - len(line.lstrip())
    cont = " " * (indent + 4)
    for start, end, depth_at in spans:
        if end <= limit and start < limit:
            continue
        if start >= limit - 10:
            return None
        # the last space inside the literal, at depth 0, leaving room for `" +`
        cut = None
        for j in range(min(end - 2, limit - 3), start + 1, -1):
            if line[j] == " " and depth_at.get(j) == 0:
                cut = j + 1
                break
        if cut is None:
            return None
        first = line[:cut] + '" +'
        rest = cont + '"' + line[cut:]
        return [first, rest]
    return None


def wrap_comment(line, limit):
    m = re.match(r"^(\s*///?\s?)(.*)$", line)
    if not m:
        return None
    prefix, text = m.group(1), m.group(2)
    words, out, cur = text.split(" "), [], ""
    for w in words:
        candidate = (cur + " " + w) if cur else w
        if len(prefix) + len(candidate) > limit and cur:
            out.append(prefix + cur)
            cur = w
        else:
            cur = candidate
    out.append(prefix + cur)
    return out if all(len(o) <= limit for o in out) else None


def process(path, limit):
    lines = open(path, encoding="utf-8").read().split("\n")
    out, left = [], []
    for number, line in enumerate(lines, 1):
        pending = [line]
        done = []
        while pending:
            cur = pending.pop(0)
            if len(cur) <= limit:
                done.append(cur)
                continue
            if cur.lstrip().startswith("//"):
                wrapped = wrap_comment(cur, limit)
            elif "help:" in cur or "ArgumentHelp" in cur:
                wrapped = None  # ArgumentHelp has no `+`: wrap those by hand
            else:
                wrapped = split_literal_line(cur, limit)
            if wrapped is None or wrapped == [cur]:
                done.append(cur)
                left.append(f"{path}:{number}: {cur.strip()[:80]}")
                continue
            pending = wrapped + pending
        out.extend(done)
    text = "\n".join(out)
    if text != "\n".join(lines):
        open(path, "w", encoding="utf-8").write(text)
    return left


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=120)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    left = []
    for f in args.files:
        left += process(f, args.limit)
    for l in left:
        print(l)
    print(f"{len(left)} lines left over {args.limit} characters", file=sys.stderr)


if __name__ == "__main__":
    main()
