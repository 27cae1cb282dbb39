//! The command lines the READMEs show, for `tests/tests/e2e/readme_commands.rs`.
//!
//! Every `README.md` in the workspace (outside `target/`, hidden folders and `node_modules/`) is
//! read; in each fenced code block tagged `sh`, `bash`, `shell` or `console` every line is a
//! command once `\` continuations are joined, `#` comments dropped and a `console` block's `$ `
//! prompt removed. Other blocks (`rust`, `toml`, untagged) hold no commands.

use std::path::{Path, PathBuf};

use crate::paths::workspace_root;

/// One command line as a README shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadmeCommand {
    /// The README, relative to the workspace root (`README.md`, `mock-monday/README.md`).
    pub readme: String,
    /// 1-based line of the command's first line.
    pub line: usize,
    /// The command, continuation lines joined with one space, comments dropped.
    pub text: String,
}

impl std::fmt::Display for ReadmeCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: `{}`", self.readme, self.line, self.text)
    }
}

/// Every `README.md` under the workspace root, sorted, as paths relative to the root.
pub fn readme_files() -> Vec<String> {
    let root = workspace_root();
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.sort();
    out
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path: PathBuf = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !(name.starts_with('.') || name == "target" || name == "node_modules") {
                walk(root, &path, out);
            }
        } else if name == "README.md" {
            if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
}

/// Every command of every README, in file order.
pub fn readme_commands() -> Vec<ReadmeCommand> {
    let root = workspace_root();
    let mut out = Vec::new();
    for readme in readme_files() {
        let text = std::fs::read_to_string(root.join(&readme))
            .unwrap_or_else(|e| panic!("read {readme}: {e}"));
        for (line, text) in commands_in(&text) {
            out.push(ReadmeCommand {
                readme: readme.clone(),
                line,
                text,
            });
        }
    }
    out
}

/// What a fenced code block holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    /// `sh`, `bash`, `shell`: every line is a command.
    Shell,
    /// `console`: lines starting `$ ` are commands, the others their output.
    Console,
    /// Anything else: no commands.
    Other,
}

/// The commands of one Markdown text: (1-based line, command).
pub fn commands_in(markdown: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut open: Option<(String, Block)> = None; // the fence's backticks, the block's kind
    let mut pending: Option<(usize, String)> = None;
    for (index, raw) in markdown.lines().enumerate() {
        let trimmed = raw.trim_start();
        let Some((ticks, block)) = &open else {
            if trimmed.starts_with("```") {
                let ticks: String = trimmed.chars().take_while(|c| *c == '`').collect();
                let info = trimmed[ticks.len()..].trim();
                let block = match info.split([' ', ',', '{']).next().unwrap_or("") {
                    "sh" | "bash" | "shell" => Block::Shell,
                    "console" => Block::Console,
                    _ => Block::Other,
                };
                open = Some((ticks, block));
            }
            continue;
        };
        if trimmed.starts_with(ticks.as_str()) && trimmed.trim_start_matches('`').is_empty() {
            open = None;
            pending = None;
            continue;
        }
        let mut line = trimmed;
        match block {
            Block::Other => continue,
            Block::Shell => {}
            Block::Console => match line.strip_prefix("$ ") {
                Some(rest) => line = rest,
                None if pending.is_none() => continue, // output shown in the block
                None => {}
            },
        }
        let code = strip_comment(line).trim_end();
        let (code, continues) = match code.strip_suffix('\\') {
            Some(head) => (head.trim_end(), true),
            None => (code, false),
        };
        let (start, mut text) = pending.take().unwrap_or((index + 1, String::new()));
        if !code.trim().is_empty() {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(code.trim());
        }
        if continues {
            pending = Some((start, text));
        } else if !text.is_empty() {
            out.push((start, text));
        }
    }
    out
}

/// `line` without its `#` comment: a `#` at the start or after whitespace, outside quotes.
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '#' && previous.is_whitespace() => return &line[..i],
            None => {}
        }
        previous = c;
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_come_from_shell_blocks_with_continuations_joined_and_comments_dropped() {
        let md = "intro `cargo run -p x` inline\n\
                  ```sh\n\
                  # a comment line\n\
                  cargo run -p a -- run   # trailing comment\n\
                  cargo run -p b -- run --x \"a # b\" \\\n    --y 2\n\
                  \n\
                  ```\n\
                  ```rust\nlet x = 1;\n```\n\
                  ```console\n$ mock-monday serve\nmock-monday listening on ...\n```\n\
                  ```\nuntagged\n```\n";
        assert_eq!(
            commands_in(md),
            vec![
                (4, "cargo run -p a -- run".to_string()),
                (5, "cargo run -p b -- run --x \"a # b\" --y 2".to_string()),
                (13, "mock-monday serve".to_string()),
            ]
        );
    }

    #[test]
    fn every_readme_is_found_and_target_is_not() {
        let files = readme_files();
        assert!(files.contains(&"README.md".to_string()), "{files:?}");
        assert!(files.contains(&"mock-monday/README.md".to_string()));
        assert!(files.iter().all(|f| !f.starts_with("target")), "{files:?}");
    }
}
