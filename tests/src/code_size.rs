//! The size rules of a crate's sources: no file over [`FILE_LIMIT`] code lines, no function over
//! [`FN_LIMIT`] lines, outside tests and an explicit allow-list of tables.
//!
//! **Code lines of a file**: the lines that are not blank and whose first non-blank characters
//! are not `//` (so comments and doc comments do not count; there are no `/* */` comments in the
//! workspace and they would count), outside every top-level item marked `#[cfg(test)]` (the test
//! module, from its first attribute to its closing brace). Every `.rs` file under `src/` counts,
//! `bin/` included.
//!
//! **Lines of a function**: from the line of its `fn` keyword (rustfmt keeps `pub async` on that
//! line; not its doc comment or attributes) to the line of its body's closing brace, inclusive. Every `fn` with a body counts: free, in an `impl`, a trait's default, nested in
//! another function, except those marked `#[test]` (or `#[tokio::test]`, any attribute whose
//! last segment is `test`) and everything inside a `#[cfg(test)]` item. A function may be
//! longer only when it is on the allow-list given to [`report`], each entry with its reason
//! (a table: one arm per case, which reads best whole); an allow-list entry that names no
//! function over the limit is reported too, so the list cannot go stale.
//!
//! A function's name is its module path below `src/` (`api::retry::decide`; `a/mod.rs` is `a`,
//! inline modules included), then the type or trait of its `impl` (`api::client::ApiClient::call`).
//! The unit test `sync_src_keeps_the_size_rules` below holds `sync/src` to the rules (it runs in
//! `cargo test`, beside the module-graph test).

use std::fmt;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Most code lines a file may have (its test module aside).
pub const FILE_LIMIT: usize = 500;
/// Most lines a function may span (signature to closing brace).
pub const FN_LIMIT: usize = 80;

/// A function allowed to be longer than [`FN_LIMIT`], and why.
#[derive(Debug, Clone, Copy)]
pub struct Allowed {
    /// Its name as [`report`] spells it (`api::retry::decide`).
    pub name: &'static str,
    /// Why it reads best whole.
    pub why: &'static str,
}

/// The tables of `sync/src` allowed over [`FN_LIMIT`].
pub const SYNC_ALLOWED: &[Allowed] = &[Allowed {
    name: "api::retry::decide",
    why: "a decision table, one match arm per signal: split, the policy would no longer read as one table",
}];

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offence {
    /// A file with more code lines than the limit.
    File {
        file: PathBuf,
        lines: usize,
        limit: usize,
    },
    /// A function spanning more lines than the limit.
    Fn {
        file: PathBuf,
        line: usize,
        name: String,
        lines: usize,
        limit: usize,
    },
    /// An allow-list entry that names no function over the limit.
    StaleAllowance { name: String },
}

impl fmt::Display for Offence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Offence::File { file, lines, limit } => {
                write!(f, "{}: {lines} code lines (limit {limit})", file.display())
            }
            Offence::Fn {
                file,
                line,
                name,
                lines,
                limit,
            } => write!(
                f,
                "{}:{line}: fn {name}: {lines} lines (limit {limit})",
                file.display()
            ),
            Offence::StaleAllowance { name } => write!(
                f,
                "allow-list entry {name}: no function of that name is over the limit (remove it)"
            ),
        }
    }
}

/// Why a crate's sources could not be measured.
#[derive(Debug)]
pub struct SizeError(pub String);

/// Whether an attribute list has `#[cfg(test)]`.
fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test")
    })
}

/// Whether an attribute list marks a test function (`#[test]`, `#[tokio::test]`, ...).
fn is_test_fn(attrs: &[syn::Attribute]) -> bool {
    is_cfg_test(attrs)
        || attrs
            .iter()
            .any(|a| a.path().segments.last().is_some_and(|s| s.ident == "test"))
}

/// The module path of a file below `src` (`a/mod.rs` and `a.rs` are `a`, `lib.rs` is the root).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file);
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        if !matches!(last.as_str(), "lib.rs" | "main.rs" | "mod.rs") {
            parts.push(last.strip_suffix(".rs").unwrap_or(&last).to_string());
        }
    }
    parts
}

/// The functions of one file over the limit: (line, name, lines).
struct FnCollector {
    here: Vec<String>,
    found: Vec<(usize, String, usize)>,
}

impl FnCollector {
    fn body(&mut self, owner: Option<String>, sig: &syn::Signature, block: &syn::Block) {
        let first = sig.fn_token.span.start().line;
        let last = block.brace_token.span.close().end().line;
        let lines = last + 1 - first;
        let mut name = self.here.clone();
        name.extend(owner);
        name.push(sig.ident.to_string());
        self.found.push((first, name.join("::"), lines));
    }
}

/// The name of an `impl`'s type or trait (`ApiClient`, `Display for Offence` is `Offence`).
fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

impl<'ast> Visit<'ast> for FnCollector {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if is_cfg_test(&m.attrs) {
            return;
        }
        self.here.push(m.ident.to_string());
        syn::visit::visit_item_mod(self, m);
        self.here.pop();
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if is_cfg_test(&i.attrs) {
            return;
        }
        let owner = type_name(&i.self_ty);
        for item in &i.items {
            match item {
                syn::ImplItem::Fn(f) if !is_test_fn(&f.attrs) => {
                    self.body(owner.clone(), &f.sig, &f.block);
                    self.visit_block(&f.block);
                }
                syn::ImplItem::Fn(_) => {}
                other => self.visit_impl_item(other),
            }
        }
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        if is_cfg_test(&t.attrs) {
            return;
        }
        for item in &t.items {
            match item {
                syn::TraitItem::Fn(f) if !is_test_fn(&f.attrs) => {
                    if let Some(block) = &f.default {
                        self.body(Some(t.ident.to_string()), &f.sig, block);
                        self.visit_block(block);
                    }
                }
                syn::TraitItem::Fn(_) => {}
                other => self.visit_trait_item(other),
            }
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if is_test_fn(&f.attrs) {
            return;
        }
        self.body(None, &f.sig, &f.block);
        self.visit_block(&f.block);
    }

    fn visit_item(&mut self, i: &'ast syn::Item) {
        // Any other `#[cfg(test)]` item (a const, a helper struct's impl) is test code.
        let attrs = match i {
            syn::Item::Const(x) => &x.attrs,
            syn::Item::Static(x) => &x.attrs,
            syn::Item::Struct(x) => &x.attrs,
            syn::Item::Enum(x) => &x.attrs,
            syn::Item::Use(x) => &x.attrs,
            _ => return syn::visit::visit_item(self, i),
        };
        if !is_cfg_test(attrs) {
            syn::visit::visit_item(self, i);
        }
    }
}

/// An item's attributes and the line of its last token (None for kinds the workspace does not
/// mark `#[cfg(test)]`).
fn attrs_and_end(item: &syn::Item) -> Option<(&[syn::Attribute], usize)> {
    let close = |b: &syn::token::Brace| b.span.close().end().line;
    let semi = |s: &syn::token::Semi| s.span.end().line;
    Some(match item {
        syn::Item::Mod(x) => (
            &x.attrs,
            match (&x.content, &x.semi) {
                (Some((b, _)), _) => close(b),
                (None, Some(s)) => semi(s),
                (None, None) => return None,
            },
        ),
        syn::Item::Fn(x) => (&x.attrs, close(&x.block.brace_token)),
        syn::Item::Impl(x) => (&x.attrs, close(&x.brace_token)),
        syn::Item::Enum(x) => (&x.attrs, close(&x.brace_token)),
        syn::Item::Struct(x) => (
            &x.attrs,
            match (&x.fields, &x.semi_token) {
                (syn::Fields::Named(f), _) => close(&f.brace_token),
                (_, Some(s)) => semi(s),
                _ => return None,
            },
        ),
        syn::Item::Const(x) => (&x.attrs, semi(&x.semi_token)),
        syn::Item::Static(x) => (&x.attrs, semi(&x.semi_token)),
        syn::Item::Use(x) => (&x.attrs, semi(&x.semi_token)),
        _ => return None,
    })
}

/// The lines (1-based, inclusive) of a file's top-level `#[cfg(test)]` items, from the first
/// attribute to the last token.
fn test_ranges(file: &syn::File) -> Vec<(usize, usize)> {
    file.items
        .iter()
        .filter_map(attrs_and_end)
        .filter(|(attrs, _)| is_cfg_test(attrs))
        .filter_map(|(attrs, end)| {
            let first = attrs.first()?.pound_token.span.start().line;
            Some((first, end))
        })
        .collect()
}

/// The code lines of `text` outside `skip` (see the module's doc for the definition).
pub fn code_lines(text: &str, skip: &[(usize, usize)]) -> usize {
    text.lines()
        .enumerate()
        .filter(|(i, _)| !skip.iter().any(|(a, b)| (*a..=*b).contains(&(i + 1))))
        .filter(|(_, l)| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with("//")
        })
        .count()
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

/// Every broken size rule of the crate whose sources are in `src`, functions on `allowed`
/// excepted. Empty when the crate keeps the rules.
pub fn report(src: &Path, allowed: &[Allowed]) -> Result<Vec<Offence>, SizeError> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut out = Vec::new();
    let mut used = vec![false; allowed.len()];
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| SizeError(format!("{}: {e}", file.display())))?;
        let ast = syn::parse_file(&text)
            .map_err(|e| SizeError(format!("{}: does not parse: {e}", file.display())))?;
        let lines = code_lines(&text, &test_ranges(&ast));
        if lines > FILE_LIMIT {
            out.push(Offence::File {
                file: file.clone(),
                lines,
                limit: FILE_LIMIT,
            });
        }
        let mut fns = FnCollector {
            here: module_of(src, &file),
            found: Vec::new(),
        };
        fns.visit_file(&ast);
        for (line, name, lines) in fns.found {
            if lines <= FN_LIMIT {
                continue;
            }
            if let Some(i) = allowed.iter().position(|a| a.name == name) {
                used[i] = true;
                continue;
            }
            out.push(Offence::Fn {
                file: file.clone(),
                line,
                name,
                lines,
                limit: FN_LIMIT,
            });
        }
    }
    for (a, used) in allowed.iter().zip(used) {
        if !used {
            out.push(Offence::StaleAllowance {
                name: a.name.to_string(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> PathBuf {
        let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        here.canonicalize().unwrap_or(here)
    }

    /// A crate in a temporary folder: (path under src, contents).
    fn tree(files: &[(&str, String)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, text).expect("write");
        }
        dir
    }

    /// `n` code lines of constants, with a comment and a blank line between each (neither counts).
    fn consts(n: usize) -> String {
        (0..n)
            .map(|i| format!("// c{i}\n\npub const C{i}: u32 = {i};\n"))
            .collect()
    }

    /// A function spanning `n` lines (signature and closing brace included).
    fn function(name: &str, n: usize) -> String {
        let body: String = (0..n - 2)
            .map(|i| format!("    let _x{i} = {i};\n"))
            .collect();
        format!("pub fn {name}() {{\n{body}}}\n")
    }

    fn names(found: &[Offence]) -> Vec<String> {
        found.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn sync_src_keeps_the_size_rules() {
        let found =
            report(&workspace().join("sync").join("src"), SYNC_ALLOWED).expect("sync/src parses");
        assert!(
            found.is_empty(),
            "sync/src breaks the size rules:\n{}",
            names(&found).join("\n")
        );
    }

    #[test]
    fn a_file_over_the_limit_is_reported_and_one_at_it_is_not() {
        let dir = tree(&[("lib.rs", consts(501)), ("a.rs", consts(500))]);
        let found = report(dir.path(), &[]).expect("parses");
        assert_eq!(
            found,
            [Offence::File {
                file: dir.path().join("lib.rs"),
                lines: 501,
                limit: 500
            }]
        );
    }

    #[test]
    fn lines_of_the_test_module_do_not_count() {
        let tests = format!(
            "#[cfg(test)]\n#[allow(dead_code)]\nmod tests {{\n{}}}\n",
            consts(300)
        );
        // 500 code lines around a 300-line test module: at the limit, not over it.
        let text = format!("{}{tests}{}", consts(499), consts(1));
        let dir = tree(&[("lib.rs", text.clone())]);
        assert_eq!(report(dir.path(), &[]).expect("parses"), []);
        // One more line outside it is over.
        let dir = tree(&[("lib.rs", format!("{text}pub const LAST: u8 = 0;\n"))]);
        assert_eq!(
            names(&report(dir.path(), &[]).expect("parses")),
            [format!(
                "{}: 501 code lines (limit 500)",
                dir.path().join("lib.rs").display()
            )]
        );
    }

    #[test]
    fn a_function_over_the_limit_is_reported_wherever_it_is() {
        let text = format!(
            "mod inner {{\n{}}}\npub struct T;\nimpl T {{\n{}}}\npub trait R {{\n{}}}\n{}",
            function("free", 81),
            function("method", 81),
            // A trait's items take no `pub`.
            function("provided", 81).replacen("pub ", "", 1),
            function("at_limit", 80),
        );
        let dir = tree(&[("lib.rs", "mod a;".into()), ("a/mod.rs", text)]);
        let found = report(dir.path(), &[]).expect("parses");
        let fns: Vec<(String, usize)> = found
            .iter()
            .filter_map(|o| match o {
                Offence::Fn { name, lines, .. } => Some((name.clone(), *lines)),
                _ => None,
            })
            .collect();
        assert_eq!(
            fns,
            [
                ("a::inner::free".to_string(), 81),
                ("a::T::method".to_string(), 81),
                ("a::R::provided".to_string(), 81),
            ]
        );
    }

    #[test]
    fn tests_and_allowed_tables_are_not_reported_and_stale_allowances_are() {
        let text = format!(
            "{}#[test]\n{}#[cfg(test)]\nmod tests {{\n{}}}\n",
            function("table", 120),
            function("long_test", 90),
            function("helper", 90),
        );
        let dir = tree(&[("lib.rs", "mod a;".into()), ("a.rs", text)]);
        let allowed = [
            Allowed {
                name: "a::table",
                why: "a table",
            },
            Allowed {
                name: "a::gone",
                why: "was a table",
            },
        ];
        assert_eq!(
            report(dir.path(), &allowed).expect("parses"),
            [Offence::StaleAllowance {
                name: "a::gone".into()
            }]
        );
        // Without the allowance the table is reported, with its first line.
        let found = report(dir.path(), &[]).expect("parses");
        assert_eq!(
            names(&found),
            [format!(
                "{}:1: fn a::table: 120 lines (limit 80)",
                dir.path().join("a.rs").display()
            )]
        );
    }

    #[test]
    fn a_file_that_does_not_parse_is_an_error() {
        let dir = tree(&[("lib.rs", "fn (".into())]);
        let err = report(dir.path(), &[]).expect_err("does not parse");
        assert!(err.0.contains("does not parse"), "{}", err.0);
    }
}
