//! The container image's recipe (`Dockerfile`, `.dockerignore`): Docker and hadolint are not
//! available here, so the properties the cluster relies on are read from the file: a
//! multi-stage build with `--locked`, pinned base tags, a numeric non-root USER for
//! `runAsNonRoot`, `ENTRYPOINT ["kfops"]` with `CMD ["serve", ..]`, and no target/ in the context.

use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(file: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(file))
        .unwrap_or_else(|e| panic!("{file} is missing at the top level: {e}"))
}

/// The Dockerfile's instructions (continuation lines joined, comments dropped).
fn instructions() -> Vec<(String, String)> {
    let text = read("Dockerfile");
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                let (op, args) = current.split_once(' ').unwrap_or((current.as_str(), ""));
                out.push((op.to_uppercase(), args.trim().to_owned()));
                current.clear();
            }
        }
    }
    out
}

#[test]
fn the_dockerfile_is_multi_stage_pinned_locked_and_runs_kfops_serve_as_non_root() {
    let ins = instructions();
    let froms: Vec<&str> = ins
        .iter()
        .filter(|(op, _)| op == "FROM")
        .map(|(_, a)| a.as_str())
        .collect();
    assert!(
        froms.len() >= 2,
        "multi-stage: a builder and a runtime: {froms:?}"
    );
    for from in &froms {
        let image = from.split_whitespace().next().unwrap_or("");
        let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap_or("");
        assert!(
            !tag.is_empty() && tag != "latest",
            "pin the base image's tag: {from}"
        );
    }
    let runs: Vec<&str> = ins
        .iter()
        .filter(|(op, _)| op == "RUN")
        .map(|(_, a)| a.as_str())
        .collect();
    assert!(
        runs.iter()
            .any(|r| r.contains("cargo build --release --locked --bin kfops")),
        "the release build uses the lock file: {runs:?}"
    );
    let last_from = ins.iter().rposition(|(op, _)| op == "FROM").unwrap_or(0);
    let user = ins[last_from..]
        .iter()
        .rev()
        .find(|(op, _)| op == "USER")
        .map(|(_, a)| a.clone())
        .expect("the runtime stage sets USER");
    let uid = user.split(':').next().unwrap_or("");
    let uid: u32 = uid
        .parse()
        .unwrap_or_else(|_| panic!("USER must be numeric: {user}"));
    assert!(uid > 0, "USER must not be root: {user}");
    let last = |op: &str| {
        ins.iter()
            .rev()
            .find(|(o, _)| o == op)
            .map(|(_, a)| a.clone())
    };
    assert_eq!(last("ENTRYPOINT").as_deref(), Some(r#"["kfops"]"#));
    let cmd = last("CMD").expect("a CMD");
    assert!(
        cmd.starts_with(r#"["serve""#),
        "the image runs the service: {cmd}"
    );
    assert!(
        !runs.iter().any(|r| r.contains("openssl")),
        "rustls: no OpenSSL"
    );
}

#[test]
fn the_build_context_leaves_out_target_and_git() {
    let ignore = read(".dockerignore");
    let lines: Vec<&str> = ignore.lines().map(str::trim).collect();
    for want in ["target/", ".git/"] {
        assert!(lines.contains(&want), ".dockerignore lacks {want}");
    }
    // config.example.toml is compiled into the binary (include_str! in src/config/mod.rs).
    assert!(!lines.contains(&"config.example.toml"));
}

/// Every `.rs` file under `dir` (repository-relative).
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_file_the_release_build_includes_is_copied_into_the_builder() {
    let copied: Vec<String> = instructions()
        .into_iter()
        .filter(|(op, args)| op == "COPY" && !args.starts_with("--from"))
        .filter_map(|(_, args)| args.split_whitespace().next().map(str::to_owned))
        .collect();
    let ignore = read(".dockerignore");
    let root = Path::new(ROOT);
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("crates/kfops-sim/src"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for piece in text
            .split("include_str!(\"")
            .chain(text.split("include_bytes!(\""))
            .skip(1)
        {
            let rel = piece.split('"').next().unwrap_or("");
            let dir = file.parent().unwrap_or(root);
            let target = std::fs::canonicalize(dir.join(rel)).unwrap_or_default();
            let canon_root = std::fs::canonicalize(root).unwrap_or_default();
            let Ok(inside) = target.strip_prefix(&canon_root) else {
                continue;
            };
            let inside = inside.to_string_lossy().into_owned();
            if inside.starts_with("tests/") {
                continue; // fixtures of unit tests (#[cfg(test)]), not in the release build
            }
            assert!(
                copied
                    .iter()
                    .any(|c| inside.starts_with(c.trim_end_matches('/'))),
                "{} includes {inside}, which the Dockerfile does not COPY",
                file.display()
            );
            assert!(
                !ignore.lines().any(|l| l.trim() == inside),
                ".dockerignore leaves out {inside}, which the build includes"
            );
        }
    }
}
