//! The workspace's module graphs: at every level of nesting, sibling modules must form a DAG.
//!
//! A module is a file or folder under a crate's `src/` (`src/a.rs` and `src/a/mod.rs` are `a`,
//! `src/a/b.rs` is `a::b`) or an inline `mod x { .. }` inside one; `lib.rs` and `main.rs` are the
//! crate root and `bin/` is left out. Each file is parsed with `syn`, so comments, doc links and
//! string literals are never edges. An edge is any path, in code or in a `use`, that starts with
//! `crate::`, `super::` or `self::` (macro bodies included) and names another module; it is
//! resolved to the deepest module it names. Edges between a module and its own ancestor (a child
//! using its parent's items, a parent re-exporting its children) are how folders work and do not
//! count. Every other edge `a::x::.. -> a::y::..` is an edge between the siblings `a::x` and `a::y`
//! below their closest common ancestor: `graphql::resolvers -> graphql::fallback` and
//! `store -> limits` alike. A circle at any level fails the unit test below, which runs in
//! `cargo test`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Module (`a::b`, the crate root is `""`) -> the sibling modules it uses.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The module path of a source file, or None for `bin/`.
fn module_of(src: &Path, file: &Path) -> Option<Vec<String>> {
    let rel = file.strip_prefix(src).ok()?;
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.first().is_some_and(|p| p == "bin") {
        return None;
    }
    let last = parts.pop()?;
    match last.as_str() {
        "lib.rs" | "main.rs" | "mod.rs" => {}
        _ => parts.push(last.strip_suffix(".rs").unwrap_or(&last).to_string()),
    }
    Some(parts)
}

/// The paths a file names through `crate::`, `super::` and `self::`, each with the module it is
/// written in (inline modules included).
#[derive(Default)]
struct PathCollector {
    here: Vec<String>,
    /// (module written in, path segments as written, `crate`/`super`/`self` first).
    found: Vec<(Vec<String>, Vec<String>)>,
    /// Inline modules seen (`a::tests`).
    inline: Vec<Vec<String>>,
}

const ANCHORS: [&str; 3] = ["crate", "super", "self"];

impl PathCollector {
    fn push(&mut self, segments: Vec<String>) {
        if segments
            .first()
            .is_some_and(|s| ANCHORS.contains(&s.as_str()))
        {
            self.found.push((self.here.clone(), segments));
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut s = prefix.clone();
                if n.ident != "self" {
                    s.push(n.ident.to_string());
                }
                self.push(s);
            }
            syn::UseTree::Rename(r) => {
                let mut s = prefix.clone();
                s.push(r.ident.to_string());
                self.push(s);
            }
            syn::UseTree::Glob(_) => self.push(prefix.clone()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }

    /// Paths inside a macro's tokens (`format!`, `assert!`, `json!` ..), which syn leaves unparsed.
    fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
        let mut flat: Vec<proc_macro2::TokenTree> = Vec::new();
        for t in tokens {
            if let proc_macro2::TokenTree::Group(g) = &t {
                self.tokens(g.stream());
            }
            flat.push(t);
        }
        let ident = |t: &proc_macro2::TokenTree| match t {
            proc_macro2::TokenTree::Ident(i) => Some(i.to_string()),
            _ => None,
        };
        let colon = |t: Option<&proc_macro2::TokenTree>| matches!(t, Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == ':');
        let mut i = 0;
        while i < flat.len() {
            // `$crate` is the macro's own crate, not a path of this module.
            let after_dollar = i > 0
                && matches!(&flat[i - 1], proc_macro2::TokenTree::Punct(p) if p.as_char() == '$');
            match ident(&flat[i]) {
                Some(first) if ANCHORS.contains(&first.as_str()) && !after_dollar => {
                    let mut segs = vec![first];
                    let mut j = i + 1;
                    while colon(flat.get(j)) && colon(flat.get(j + 1)) {
                        match flat.get(j + 2).and_then(ident) {
                            Some(s) => segs.push(s),
                            None => break,
                        }
                        j += 3;
                    }
                    if segs.len() > 1 {
                        self.push(segs);
                    }
                    i = j.max(i + 1);
                }
                _ => i += 1,
            }
        }
    }
}

impl<'ast> Visit<'ast> for PathCollector {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_some() {
            self.here.push(m.ident.to_string());
            self.inline.push(self.here.clone());
            syn::visit::visit_item_mod(self, m);
            self.here.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        self.push(p.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.tokens(m.tokens.clone());
        syn::visit::visit_macro(self, m);
    }
}

/// The module `segments` (anchored at `crate`, `super` or `self`) names from `here`: the
/// deepest known module along the path, or None when `super` climbs above the crate root.
fn resolve(
    here: &[String],
    segments: &[String],
    known: &BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let mut base: Vec<String> = here.to_vec();
    let mut rest = segments;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        _ => {}
    }
    while rest.first().is_some_and(|s| s == "super") {
        base.pop()?;
        rest = &rest[1..];
    }
    for seg in rest {
        let mut next = base.clone();
        next.push(seg.clone());
        if !known.contains(&next) {
            break;
        }
        base = next;
    }
    Some(base)
}

/// The sibling edge an edge `from -> to` stands for, or None when one is the other's ancestor.
fn sibling_edge(from: &[String], to: &[String]) -> Option<(String, String)> {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    if common == from.len() || common == to.len() {
        return None;
    }
    Some((from[..=common].join("::"), to[..=common].join("::")))
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

/// Why a crate's graph could not be read.
#[derive(Debug)]
pub struct GraphError(pub String);

/// The module graph (sibling edges at every level) of the crate whose sources are in `src`.
pub fn graph(src: &Path) -> Result<Graph, GraphError> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut collected = Vec::new();
    let mut known: BTreeSet<Vec<String>> = BTreeSet::new();
    for f in files {
        let Some(m) = module_of(src, &f) else {
            continue;
        };
        let text =
            std::fs::read_to_string(&f).map_err(|e| GraphError(format!("{}: {e}", f.display())))?;
        let ast = syn::parse_file(&text)
            .map_err(|e| GraphError(format!("{}: does not parse: {e}", f.display())))?;
        let mut c = PathCollector {
            here: m.clone(),
            ..PathCollector::default()
        };
        c.visit_file(&ast);
        for prefix in (0..=m.len()).map(|n| m[..n].to_vec()) {
            known.insert(prefix);
        }
        known.extend(c.inline.iter().cloned());
        collected.push(c);
    }
    let mut g = Graph::new();
    for m in &known {
        g.entry(m.join("::")).or_default();
    }
    for c in &collected {
        for (here, segments) in &c.found {
            let Some(to) = resolve(here, segments, &known) else {
                continue;
            };
            if let Some((a, b)) = sibling_edge(here, &to) {
                g.entry(a).or_default().insert(b);
            }
        }
    }
    Ok(g)
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

    /// A crate in a temporary folder: (path under src, contents).
    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        dir
    }

    fn edges(g: &Graph) -> Vec<String> {
        g.iter()
            .flat_map(|(a, bs)| bs.iter().map(move |b| format!("{a} -> {b}")))
            .collect()
    }

    #[test]
    fn every_crate_s_module_graph_is_a_dag() {
        for krate in ["sync", "mock-monday", "perf", "tests"] {
            let g = graph(&workspace().join(krate).join("src")).expect("the crate parses");
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
    fn a_circle_through_super_between_nested_siblings_is_found() {
        let dir = tree(&[
            ("lib.rs", "mod g;"),
            ("g/mod.rs", "mod r; mod f; pub struct Top;"),
            // r uses f, f uses r through `super::`, and both use their parent (not an edge).
            (
                "g/r.rs",
                "pub struct State; fn a() { super::f::run(); let _ = super::Top; }",
            ),
            ("g/f.rs", "use super::r::State; pub fn run() {}"),
        ]);
        let g = graph(dir.path()).expect("parses");
        assert_eq!(edges(&g), ["g::f -> g::r", "g::r -> g::f"]);
        assert_eq!(circles(&g), ["g::f -> g::r -> g::f"]);
    }

    #[test]
    fn comments_strings_tests_and_ancestors_are_not_edges_and_macros_are() {
        let dir = tree(&[
            ("lib.rs", "pub mod a; pub mod b; pub mod c; pub mod d;"),
            (
                "a/mod.rs",
                "pub mod x;\npub use self::x::X;\n/// [`crate::b`]\nfn f() { let s = \"crate::c\"; // crate::c\n}",
            ),
            ("a/x.rs", "pub struct X; use super::*; use crate::{b, d::D};"),
            ("b.rs", "fn f() { assert!(crate::d::ok()); }\nmacro_rules! m { () => { $crate::c::Y }; }"),
            ("c.rs", "#[cfg(test)] mod tests { use super::*; use crate::a::X; }"),
            ("d.rs", "pub struct D; pub fn ok() -> bool { true }"),
        ]);
        let g = graph(dir.path()).expect("parses");
        // a::x -> b and a::x -> d are a -> b and a -> d at the top; a -> a::x is a parent's
        // re-export; the doc link, the string and the comment name nothing; `$crate` is not ours;
        // c's inline tests use their parent (no edge) and a (an edge of c).
        assert_eq!(edges(&g), ["a -> b", "a -> d", "b -> d", "c -> a"]);
        assert!(circles(&g).is_empty());
    }

    #[test]
    fn circles_are_walked_in_order() {
        let g: Graph = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
            .into_iter()
            .fold(Graph::new(), |mut g, (x, y)| {
                g.entry(x.into()).or_default().insert(y.into());
                g
            });
        assert_eq!(circles(&g), ["a -> b -> c -> a"]);
    }
}
