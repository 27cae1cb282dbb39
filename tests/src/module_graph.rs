//! The workspace's module graphs: each crate's `crate::` edges must form a DAG.
//!
//! A module is a top-level file or folder under a crate's `src/` (`src/a.rs`, `src/a/mod.rs` and
//! `src/a/**.rs` are `a`; `lib.rs`, `main.rs` and `bin/` are the crate's face, not modules). An
//! edge `a -> b` is any `crate::b` path in `a`'s code, tests included; comments and doc links are
//! not edges (a doc may point up to a caller). The unit test below runs in `cargo test`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module -> the modules it uses.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The module a source file belongs to, or None for the crate's face.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let first = file.strip_prefix(src).ok()?.components().next()?;
    let name = first.as_os_str().to_str()?;
    match name {
        "lib.rs" | "main.rs" | "bin" => None,
        _ => Some(name.strip_suffix(".rs").unwrap_or(name).to_string()),
    }
}

/// `text` without `//` comments (line, doc and trailing). A `//` inside a string literal cuts
/// the rest of that line too, which can only hide an edge written after a URL on one line.
fn code_only(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules a piece of code names through `crate::`: `crate::a::..`, `crate::{a, b::c}`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        // `$crate::` and `some_crate::` are not this crate.
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name = ident(item.trim());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module graph of the crate whose sources are in `src`.
pub fn graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut g = Graph::new();
    for f in files {
        let Some(m) = module_of(src, &f) else {
            continue;
        };
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let uses = g.entry(m.clone()).or_default();
        uses.extend(
            crate_paths(&code_only(&text))
                .into_iter()
                .filter(|t| *t != m),
        );
    }
    g
}

/// Every circle found by a depth-first walk, each as `a -> b -> .. -> a`.
pub fn circles(g: &Graph) -> Vec<String> {
    fn visit<'a>(
        n: &'a str,
        g: &'a Graph,
        state: &mut BTreeMap<&'a str, bool>,
        stack: &mut Vec<&'a str>,
        out: &mut Vec<String>,
    ) {
        state.insert(n, false);
        stack.push(n);
        for t in g.get(n).into_iter().flatten() {
            match state.get(t.as_str()) {
                Some(false) => {
                    let from = stack.iter().position(|s| *s == t).unwrap_or(0);
                    let mut c: Vec<&str> = stack[from..].to_vec();
                    c.push(t);
                    out.push(c.join(" -> "));
                }
                Some(true) => {}
                None => visit(t, g, state, stack, out),
            }
        }
        stack.pop();
        state.insert(n, true);
    }
    let (mut state, mut stack, mut out) = (BTreeMap::new(), Vec::new(), Vec::new());
    for n in g.keys() {
        if !state.contains_key(n.as_str()) {
            visit(n, g, &mut state, &mut stack, &mut out);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn every_crate_s_module_graph_is_a_dag() {
        for krate in ["sync", "mock-monday", "perf", "tests"] {
            let g = graph(&workspace().join(krate).join("src"));
            assert!(g.len() > 3, "{krate}: found only {} modules", g.len());
            let found = circles(&g);
            assert!(
                found.is_empty(),
                "{krate} has circles:\n{}",
                found.join("\n")
            );
        }
    }

    #[test]
    fn paths_groups_and_comments_are_read_as_they_should_be() {
        let code = code_only(
            "use crate::a::X;\nuse crate::{b, c::D};\n/// [`crate::up`]\nlet x = crate::e::f(); // crate::g\n$crate::h; other_crate::i;",
        );
        let found: Vec<String> = crate_paths(&code).into_iter().collect();
        assert_eq!(found, ["a", "b", "c", "e"]);
        let g: Graph = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
            .into_iter()
            .fold(Graph::new(), |mut g, (x, y)| {
                g.entry(x.into()).or_default().insert(y.into());
                g
            });
        assert_eq!(circles(&g), ["a -> b -> c -> a"]);
    }
}
