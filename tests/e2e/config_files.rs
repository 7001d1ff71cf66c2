//! The config file: the documented example, broken files with their exact messages, the
//! lookup order, secrets, and "never panics" properties.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use kfops_console::config::{self, Config, ConfigErrorKind, Secret};
use proptest::prelude::*;

mod broken;

const EXAMPLE: &str = include_str!("../../config.example.toml");

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    repo_root().join("tests/fixtures/config/broken")
}

// ---------------------------------------------------------------- the example file

#[test]
fn example_parses_with_the_documented_values() {
    let c = config::load(&repo_root().join("config.example.toml")).unwrap();
    assert!(!c.read_only);
    assert_eq!(
        (c.repository.owner.as_str(), c.repository.name.as_str()),
        ("acme", "churn-model")
    );
    assert_eq!(c.github.api_url, "https://api.github.com");
    assert_eq!(c.github.token_env, ["GITHUB_TOKEN", "GH_TOKEN"]);
    assert!(c.github.token.is_none());
    assert_eq!(c.cluster.context, None);
    assert_eq!(c.cluster.namespace, "kfops");
    assert_eq!(c.cluster.server, None);
    assert_eq!(c.kfp.endpoint, None);
    assert_eq!(c.kfp.proxy_namespace, "kubeflow");
    assert_eq!(c.kfp.proxy_service, "ml-pipeline:8888");
    assert_eq!(c.kfp.token_env, None);
    assert_eq!(c.kfp.namespace, "kubeflow-user-example-com");
    assert_eq!(c.kfp.experiment_name, "churn-model");
    assert_eq!(c.pipeline.name, "churn-model");
    assert_eq!(c.pipeline.description, "Customer churn model");
    assert_eq!(c.pipeline.package_path, "pipeline.yaml");
    assert_eq!(
        c.pipeline.run_arguments["learning_rate"],
        serde_json::json!(0.01)
    );
    assert_eq!(c.pipeline.run_arguments["epochs"], serde_json::json!(10));
    assert_eq!(c.deployment.inference_service_name, "churn-model");
    assert_eq!(
        c.deployment.template_path,
        "deployment/inference_service.yaml"
    );
    // Optional, as in Kfops: the example shows it commented out, so no sample test.
    assert_eq!(c.deployment.sample_input_path, "");
    assert_eq!(c.deployment.ingress_url, None);
    assert_eq!(c.deployment.ready_timeout_seconds, 300);
    assert_eq!(c.deployment.production.namespace, "production");
    assert_eq!(c.deployment.staging.namespace, "staging");
    assert_eq!(
        c.image_builder.registry.as_deref(),
        Some("registry.example.com/acme")
    );
    assert!(!c.image_builder.insecure);
    assert_eq!(c.image_builder.pod_template_path, "kaniko/pod.yaml");
    assert_eq!(c.image_builder.images.len(), 1);
    let image = &c.image_builder.images[0];
    assert_eq!(
        (image.name.as_str(), image.dockerfile_folder.as_str()),
        ("trainer", "images/trainer")
    );
    assert_eq!(image.other_folders, ["src/common"]);
    assert_eq!(c.ui.scrollback, 1_000_000);
    assert_eq!(c.ui.theme, "default");
    assert_eq!(c.ui.refresh_seconds, 30);
    assert_eq!(c.ui.keys["quit"], ["q", "ctrl-c"]);
    assert_eq!(c.ui.keys["refresh"], ["F5"]);
    assert_eq!(c.ui.keys["cancel"], ["esc", "ctrl-g"]);
}

#[test]
fn dialog_keys_may_share_keys_with_pane_keys_but_not_with_each_other() {
    // `no` on the logs pane's follow key and `yes` on its layout key: they act in different
    // places (a confirmation, the screen), so the file loads.
    let base = "[repository]\nowner = \"acme\"\nname = \"m\"\n[ui.keys]\n";
    let c = config::parse(
        &format!("{base}no = \"f\"\nyes = \"m\"\n"),
        Path::new("k.toml"),
    )
    .expect("no conflict");
    assert_eq!(c.ui.keys["no"], ["f"]);
    let e = config::parse(
        &format!("{base}no = \"f\"\nyes = \"f\"\n"),
        Path::new("k.toml"),
    )
    .unwrap_err();
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(6), Some("ui.keys.yes")),
        "{e}"
    );
    assert!(
        e.message.contains("`f` is bound to both `yes` and `no`"),
        "{e}"
    );
}

#[test]
fn example_text_is_the_example_file() {
    assert_eq!(config::example_text(), EXAMPLE);
}

#[test]
fn example_defaults_match_a_minimal_file() {
    // Keys the example sets to their default give the same values as leaving them out.
    let minimal = config::parse(
        "[repository]\nowner = \"acme\"\nname = \"churn-model\"\n",
        Path::new("m.toml"),
    )
    .unwrap();
    let example = config::parse(EXAMPLE, Path::new("config.example.toml")).unwrap();
    assert_eq!(minimal.github, example.github);
    assert_eq!(minimal.cluster, example.cluster);
    assert_eq!(minimal.kfp.proxy_service, example.kfp.proxy_service);
    assert_eq!(minimal.deployment, example.deployment);
    assert_eq!(minimal.ui.scrollback, example.ui.scrollback);
    assert_eq!(minimal, Config::for_repository("acme", "churn-model"));
}

/// `key = ...` (also `# key = ...`): the key, if the line is a key line.
fn key_of(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let body = t.strip_prefix('#').map_or(t, str::trim_start);
    let end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(body.len());
    let (key, rest) = body.split_at(end);
    (!key.is_empty() && rest.trim_start().starts_with('=')).then_some(key)
}

/// Lines (1-based) holding a key that has neither an explanatory comment line just
/// above nor a comment on the same line.
fn undocumented_keys(text: &str) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut bad = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if key_of(line).is_none() {
            continue;
        }
        let active = !line.trim_start().starts_with('#');
        let same_line = active && line.split_once('=').is_some_and(|(_, v)| v.contains(" # "));
        let above = i
            .checked_sub(1)
            .map(|j| lines[j].trim_start())
            .is_some_and(|prev| prev.starts_with('#') && key_of(prev).is_none());
        if !same_line && !above {
            bad.push(i + 1);
        }
    }
    bad
}

#[test]
fn example_every_key_is_commented() {
    assert_eq!(undocumented_keys(EXAMPLE), Vec::<usize>::new());
    // The check itself can fail.
    let text = "# doc\na = 1\nb = 2\nc = 3 # doc\n# about d\n# d = 4\n# e = 5\n";
    assert_eq!(undocumented_keys(text), [3, 7]);
}

#[test]
fn example_documents_every_key_the_parser_accepts() {
    // The parser's own list of keys per table, from the hint of an unknown key.
    let base = "[repository]\nowner = \"acme\"\nname = \"m\"\n";
    let probes = [
        format!("zz_probe = 1\n{base}"),
        "[repository]\nzz_probe = 1\n".to_owned(),
        format!("{base}[github]\nzz_probe = 1\n"),
        format!("{base}[github.app]\nzz_probe = 1\n"),
        format!("{base}[cluster]\nzz_probe = 1\n"),
        format!("{base}[kfp]\nzz_probe = 1\n"),
        format!("{base}[pipeline]\nzz_probe = 1\n"),
        format!("{base}[deployment]\nzz_probe = 1\n"),
        format!("{base}[deployment.production]\nzz_probe = 1\n"),
        format!("{base}[deployment.staging]\nzz_probe = 1\n"),
        format!("{base}[image_builder]\nzz_probe = 1\n"),
        format!("{base}[[image_builder.images]]\nzz_probe = 1\n"),
        format!("{base}[ui]\nzz_probe = 1\n"),
    ];
    let documented: Vec<&str> = EXAMPLE.lines().filter_map(key_of).collect();
    // Table headers, also commented-out ones (`# [github.app]`: an optional table whose keys
    // are required once it is there is shown commented out).
    let headers: Vec<&str> = EXAMPLE
        .lines()
        .map(|l| l.strip_prefix('#').map_or(l, str::trim_start))
        .filter(|l| l.starts_with('['))
        .collect();
    let mut checked = 0;
    for probe in probes {
        let e = config::parse(&probe, Path::new("p.toml")).unwrap_err();
        assert_eq!(e.kind, ConfigErrorKind::UnknownKey, "{e}");
        let list = e.hint.split_once("expected one of: ").unwrap().1;
        for key in list.split(", ") {
            let as_key = documented.contains(&key);
            let as_table = headers.iter().any(|h| {
                h.trim_matches(['[', ']'])
                    .split('.')
                    .any(|part| part == key)
            });
            assert!(
                as_key || as_table,
                "`{key}` (from {probe:?}) is not documented in config.example.toml"
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} keys checked");
}

#[test]
fn demo_config_parses() {
    let path = repo_root().join("assets/demo/kfops.toml");
    if path.exists() {
        config::load(&path).unwrap();
    }
}

// ---------------------------------------------------------------- lookup order

struct Places {
    _tmp: tempfile::TempDir,
    cwd: PathBuf,
    xdg_base: PathBuf,
    explicit: PathBuf,
    env: PathBuf,
}

fn places() -> Places {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path().join("work");
    let xdg_base = tmp.path().join("xdg");
    fs::create_dir_all(&cwd).unwrap();
    fs::create_dir_all(xdg_base.join("kfops")).unwrap();
    let explicit = tmp.path().join("explicit.toml");
    let env = tmp.path().join("env.toml");
    for p in [
        &explicit,
        &env,
        &cwd.join("kfops.toml"),
        &xdg_base.join("kfops/config.toml"),
    ] {
        fs::write(p, "").unwrap();
    }
    Places {
        _tmp: tmp,
        cwd,
        xdg_base,
        explicit,
        env,
    }
}

#[test]
fn lookup_order_is_explicit_env_local_xdg() {
    let p = places();
    let env = || Some(OsString::from(&p.env));
    let xdg = || Some(p.xdg_base.clone());
    let found = config::locate_with(Some(&p.explicit), env(), &p.cwd, xdg()).unwrap();
    assert_eq!(found, p.explicit);
    assert_eq!(
        config::locate_with(None, env(), &p.cwd, xdg()).unwrap(),
        p.env
    );
    // An empty $KFOPS_CONFIG counts as unset.
    let local = p.cwd.join("kfops.toml");
    assert_eq!(
        config::locate_with(None, Some(OsString::new()), &p.cwd, xdg()).unwrap(),
        local
    );
    assert_eq!(
        config::locate_with(None, None, &p.cwd, xdg()).unwrap(),
        local
    );
    fs::remove_file(&local).unwrap();
    assert_eq!(
        config::locate_with(None, None, &p.cwd, xdg()).unwrap(),
        p.xdg_base.join("kfops/config.toml")
    );
    fs::remove_file(p.xdg_base.join("kfops/config.toml")).unwrap();
    let e = config::locate_with(None, None, &p.cwd, xdg()).unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::NotFound);
    let shown = e.to_string();
    for place in [
        "--config",
        "$KFOPS_CONFIG",
        &local.display().to_string(),
        &p.xdg_base.join("kfops/config.toml").display().to_string(),
    ] {
        assert!(shown.contains(place), "{place} missing from {shown}");
    }
    assert!(
        shown.contains("hint: copy config.example.toml to ./kfops.toml, or try `kfops demo`"),
        "{shown}"
    );
}

#[test]
fn lookup_missing_explicit_or_env_file_is_an_error() {
    let p = places();
    let missing = p.cwd.join("nope.toml");
    let e = config::locate_with(
        Some(&missing),
        Some(OsString::from(&p.env)),
        &p.cwd,
        Some(p.xdg_base.clone()),
    )
    .unwrap_err();
    assert_eq!(e.kind, ConfigErrorKind::NotFound);
    assert_eq!(e.path, missing);
    assert!(e.to_string().contains("--config"), "{e}");
    let e = config::locate_with(
        None,
        Some(OsString::from(&missing)),
        &p.cwd,
        Some(p.xdg_base.clone()),
    )
    .unwrap_err();
    assert_eq!(e.path, missing);
    assert!(e.to_string().contains("KFOPS_CONFIG"), "{e}");
    let e = config::locate_with(Some(&p.cwd), None, &p.cwd, None).unwrap_err();
    assert!(e.message.contains("is a directory"), "{e}");
}

#[test]
fn lookup_resolves_relative_paths_against_cwd() {
    let p = places();
    fs::write(p.cwd.join("mine.toml"), "").unwrap();
    let found = config::locate_with(Some(Path::new("mine.toml")), None, &p.cwd, None).unwrap();
    assert_eq!(found, p.cwd.join("mine.toml"));
}

// ---------------------------------------------------------------- secrets

#[test]
fn token_never_shows_in_debug() {
    let text =
        "[repository]\nowner = \"acme\"\nname = \"m\"\n[github]\ntoken = \"ghp_TOPSECRET123\"\n";
    let c = config::parse(text, Path::new("t.toml")).unwrap();
    let debug = format!("{c:?} {c:#?}");
    assert!(!debug.contains("TOPSECRET"), "{debug}");
    assert!(debug.contains("***"));
    assert_eq!(
        c.github_token().map(|s| s.expose().to_owned()).as_deref(),
        Some("ghp_TOPSECRET123")
    );
    assert_eq!(format!("{}", Secret::new("x")), "***");
}

#[test]
fn token_env_may_be_a_single_name() {
    let text = "[repository]\nowner = \"acme\"\nname = \"m\"\n[github]\ntoken_env = \"MY_TOKEN\"\n";
    let c = config::parse(text, Path::new("t.toml")).unwrap();
    assert_eq!(c.github.token_env, ["MY_TOKEN"]);
    let token = c.github_token_with(|n| (n == "MY_TOKEN").then(|| "v".to_owned()));
    assert_eq!(token.map(|s| s.expose().to_owned()).as_deref(), Some("v"));
}

// ---------------------------------------------------------------- properties

fn check_error(text: &str, path: &Path) -> Result<(), TestCaseError> {
    if let Err(e) = config::parse(text, path) {
        prop_assert_eq!(&e.path, path);
        prop_assert!(e.to_string().starts_with(&path.display().to_string()));
        prop_assert_eq!(e.line.is_some(), e.column.is_some());
        if let Some(line) = e.line {
            prop_assert!(
                line >= 1 && line as usize <= text.lines().count() + 1,
                "line {} of {:?}",
                line,
                text
            );
        }
        prop_assert!(!e.hint.is_empty());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn parse_never_panics_on_strings(text in "\\PC*") {
        check_error(&text, Path::new("fuzz.toml"))?;
    }

    #[test]
    fn parse_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check_error(&String::from_utf8_lossy(&bytes), Path::new("bytes.toml"))?;
    }

    #[test]
    fn parse_never_panics_on_toml_like_text(
        text in "(\\[{1,2}[a-z_.]{1,12}\\]{1,2}\n|[a-z_]{1,10} = (\"[a-z:/. ]{0,10}\"|-?[0-9]{1,4}|true|\\[\\]|\\{\\}|nan|1979-05-27)\n){0,12}"
    ) {
        check_error(&format!("[repository]\nowner = \"a\"\nname = \"b\"\n{text}"), Path::new("like.toml"))?;
    }

    #[test]
    fn parse_never_panics_on_mutated_example(line in 0usize..200, replacement in "\\PC{0,30}", delete in any::<bool>()) {
        let mut lines: Vec<&str> = EXAMPLE.lines().collect();
        let at = line % lines.len();
        if delete { lines.remove(at); } else { lines[at] = &replacement; }
        check_error(&lines.join("\n"), Path::new("mutated.toml"))?;
    }
}
