#!/usr/bin/env python3
"""Reports circles in a crate's module graph, built from every `crate::a::...` path in its sources.

Usage: scripts/module_cycles.py CRATE_SRC_DIR [--no-tests]
A module is a top-level file or folder under src/ (src/a.rs, src/a/mod.rs and src/a/*.rs are `a`).
With --no-tests, everything after the first `#[cfg(test)]` line of a file is ignored.
Exit 0 when the graph is a DAG, 1 when there is a circle (each one printed).
"""
import re, sys, pathlib

def module_of(src, path):
    rel = path.relative_to(src).parts
    if rel[0] == "bin" or rel[0] in ("lib.rs", "main.rs"):
        return None
    return rel[0][:-3] if rel[0].endswith(".rs") else rel[0]

def main():
    src = pathlib.Path(sys.argv[1])
    no_tests = "--no-tests" in sys.argv
    edges = {}
    for path in sorted(src.rglob("*.rs")):
        m = module_of(src, path)
        if m is None:
            continue
        text = path.read_text()
        if no_tests and "#[cfg(test)]" in text:
            text = text[: text.index("#[cfg(test)]")]
        # `use crate::{a, b::c}` groups and plain `crate::a` paths.
        targets = set(re.findall(r"\bcrate::(\w+)", text))
        for group in re.findall(r"\bcrate::\{([^}]*)\}", text):
            targets |= set(re.findall(r"(?:^|,)\s*(\w+)", group))
        edges.setdefault(m, set()).update(t for t in targets if t != m)
    cycles, state, stack = [], {}, []
    def visit(n):
        state[n] = 1; stack.append(n)
        for t in sorted(edges.get(n, ())):
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop(); state[n] = 2
    for n in sorted(edges):
        if n not in state:
            visit(n)
    for c in cycles:
        print(" -> ".join(c))
    print(f"{src}: {len(edges)} modules, {sum(len(v) for v in edges.values())} edges, "
          f"{len(cycles)} circle(s)")
    return 1 if cycles else 0

sys.exit(main())
