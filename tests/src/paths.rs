//! Paths of the workspace and the binaries the end-to-end tests drive.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The workspace root (the parent of this package).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The shared target directory (`CARGO_TARGET_DIR` or `<root>/target`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        None => workspace_root().join("target"),
    }
}

/// The example config of the sync (`sync/configs/order_list.toml`).
pub fn example_config_path() -> PathBuf {
    workspace_root().join("sync/configs/order_list.toml")
}

/// Paths of the binaries the end-to-end tests drive.
#[derive(Debug, Clone)]
pub struct Bins {
    pub sync: PathBuf,
    pub mock: PathBuf,
    /// `monday-perf` (the README's commands run it as a user types them).
    pub perf: PathBuf,
}

/// Builds `monday-sync`, `mock-monday` and `monday-perf` (dev profile, the one `cargo test` uses) once per test
/// binary and returns their paths.
///
/// The nested cargo runs without the variables cargo sets for the running test
/// ([`is_set_by_cargo_for_the_test`]): some build scripts (ring's, under reqwest's rustls) declare
/// `rerun-if-env-changed` on `CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME` and the like, so inheriting
/// them made the nested build redo ring and everything above it (about 45 s on two cores), and
/// the next `cargo test` redo it all again to undo that.
pub fn bins() -> &'static Bins {
    static BINS: OnceLock<Bins> = OnceLock::new();
    BINS.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
        let mut command = std::process::Command::new(cargo);
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(is_set_by_cargo_for_the_test) {
                command.env_remove(name);
            }
        }
        let status = command
            .current_dir(workspace_root())
            // `cargo test --workspace --no-run`, not `cargo build --bins`: under the README's
            // `cargo test --workspace` the binaries are already built with the test run's
            // unified features, so this finds them all fresh; a `cargo build` of three packages
            // resolves features without the dev-dependencies' and rebuilt reqwest, both crates
            // and every binary a second time (about 80 s of a cold CI run).
            .args(["test", "--workspace", "--no-run", "-q"])
            .status()
            .expect("run cargo build for the binaries");
        assert!(status.success(), "cargo build of the binaries failed");
        let dir = target_dir().join("debug");
        let bins = Bins {
            sync: dir.join("monday-sync"),
            mock: dir.join("mock-monday"),
            perf: dir.join("monday-perf"),
        };
        for bin in [&bins.sync, &bins.mock, &bins.perf] {
            assert!(bin.exists(), "missing {}", bin.display());
        }
        bins
    })
}

/// Whether `name` is one of the variables cargo sets for a crate it compiles or a test it runs
/// (the Cargo book's "Environment variables Cargo sets for crates" and for build scripts), as
/// opposed to settings of the user's (`CARGO_HOME`, `CARGO_TARGET_DIR`, `CARGO_PROFILE_*`, ...)
/// that the nested build must keep. `CARGO` itself, the path of cargo, is kept.
fn is_set_by_cargo_for_the_test(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    const PREFIXES: &[&str] = &["CARGO_PKG_", "CARGO_BIN_EXE_"];
    EXACT.contains(&name) || PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Writes text to a file, creating parents.
pub fn write_file(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create parent dir");
    }
    let mut f = std::fs::File::create(path).expect("create file");
    f.write_all(bytes).expect("write file");
}
