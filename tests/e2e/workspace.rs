//! The workspace's shape: the simulator crate (crates/kfops-sim) stands alone, so tests and
//! `kfops demo` exercise the product's real clients against something that shares none of
//! its code; and `cargo test` at the top runs the simulator's own unit tests too.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const PRODUCT: &str = "kfops-console";
const SIM: &str = "kfops-sim";

/// `cargo metadata` of the workspace (no dependencies resolved, nothing fetched).
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// The package called `name` in the metadata.
fn package<'a>(meta: &'a Value, name: &str) -> &'a Value {
    meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not a workspace member"))
}

/// The names of a package's dependencies, every kind (normal, dev, build).
fn dependency_names(package: &Value) -> Vec<String> {
    package["dependencies"]
        .as_array()
        .expect("dependencies")
        .iter()
        .filter_map(|d| d["name"].as_str().map(str::to_owned))
        .collect()
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).expect("reading the simulator's sources") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn the_simulator_crate_does_not_depend_on_the_product() {
    let meta = metadata();
    let deps = dependency_names(package(&meta, SIM));
    assert!(
        !deps.iter().any(|d| d == PRODUCT),
        "{SIM} depends on {PRODUCT} ({deps:?}); the simulator must import nothing of the product"
    );
    // The other way round is the intended one.
    assert!(dependency_names(package(&meta, PRODUCT))
        .iter()
        .any(|d| d == SIM));
}

#[test]
fn the_simulator_sources_never_name_the_product() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/kfops-sim/src");
    let files = rust_files(&src);
    assert!(
        files.len() > 50,
        "found only {} files in {src:?}",
        files.len()
    );
    let naming: Vec<_> = files
        .iter()
        .filter(|f| {
            let text = std::fs::read_to_string(f).expect("reading a simulator source");
            text.contains("kfops_console")
        })
        .collect();
    assert!(
        naming.is_empty(),
        "the simulator names the product crate in {naming:?}"
    );
}

#[test]
fn cargo_test_at_the_top_covers_the_simulator_crate() {
    let meta = metadata();
    let id = package(&meta, SIM)["id"].clone();
    let defaults = meta["workspace_default_members"]
        .as_array()
        .expect("workspace_default_members");
    assert!(
        defaults.contains(&id),
        "{SIM} is not a default member: `cargo test` at the top would skip its unit tests"
    );
}
