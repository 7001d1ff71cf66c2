//! What the command of a Dockerfile `RUN` prints while Kaniko runs it: pip installs (from a
//! requirements file of the build context when there is one), apt-get, echo; other commands
//! print nothing. `scale` multiplies the number of dependency lines.

use std::collections::BTreeMap;

/// A command's output, and what it prints instead at the end when it fails.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunOutput {
    pub lines: Vec<String>,
    pub failure: Vec<String>,
}

/// Requirements used when the context has no requirements file.
const DEFAULT_REQUIREMENTS: &str =
    "numpy==1.26.4\npandas==2.2.2\nscikit-learn==1.5.1\nxgboost==2.1.0\njoblib==1.4.2\n";

/// Known packages: name, version, wheel size, whether the wheel is compiled.
const PACKAGES: &[(&str, &str, &str, bool)] = &[
    ("numpy", "1.26.4", "18.3 MB", true),
    ("pandas", "2.2.2", "13.0 MB", true),
    ("scikit-learn", "1.5.1", "13.3 MB", true),
    ("xgboost", "2.1.0", "153.9 MB", true),
    ("joblib", "1.4.2", "301 kB", false),
    ("pyarrow", "16.1.0", "40.8 MB", true),
    ("kfp", "2.13.0", "361 kB", false),
    ("kserve", "0.13.1", "253 kB", false),
];

/// Dependencies pip collects on the way: name, the requirement it is found through, version,
/// wheel size, compiled, and the package that requires it.
const TRANSITIVE: &[(&str, &str, &str, &str, bool, &str)] = &[
    (
        "python-dateutil",
        ">=2.8.2",
        "2.9.0.post0",
        "229 kB",
        false,
        "pandas",
    ),
    ("pytz", ">=2020.1", "2024.1", "505 kB", false, "pandas"),
    ("tzdata", ">=2022.7", "2024.1", "345 kB", false, "pandas"),
    (
        "scipy",
        ">=1.6.0",
        "1.14.0",
        "41.1 MB",
        true,
        "scikit-learn",
    ),
    (
        "threadpoolctl",
        ">=3.1.0",
        "3.5.0",
        "18 kB",
        false,
        "scikit-learn",
    ),
    (
        "nvidia-nccl-cu12",
        "",
        "2.22.3",
        "190.9 MB",
        false,
        "xgboost",
    ),
    ("six", ">=1.5", "1.16.0", "11 kB", false, "python-dateutil"),
    ("packaging", ">=22.0", "24.1", "53 kB", false, "pyarrow"),
    (
        "typing-extensions",
        ">=4.6.0",
        "4.12.2",
        "37 kB",
        false,
        "kfp",
    ),
    ("fsspec", ">=2023.1.0", "2024.6.1", "177 kB", false, "kfp"),
    ("cloudpickle", ">=2.0.0", "3.0.0", "20 kB", false, "kfp"),
    (
        "certifi",
        ">=2017.4.17",
        "2024.7.4",
        "162 kB",
        false,
        "requests",
    ),
    (
        "charset-normalizer",
        "<4,>=2",
        "3.3.2",
        "142 kB",
        true,
        "requests",
    ),
    ("idna", "<4,>=2.5", "3.7", "66 kB", false, "requests"),
    (
        "urllib3",
        "<3,>=1.21.1",
        "2.2.2",
        "121 kB",
        false,
        "requests",
    ),
    ("requests", "<3,>=2", "2.32.3", "64 kB", false, "kfp"),
    ("click", "<9,>=8.0.0", "8.1.7", "97 kB", false, "kfp"),
    ("pyyaml", "<7,>=5.3", "6.0.1", "757 kB", true, "kfp"),
    ("protobuf", "<5,>=4.21.1", "4.25.4", "294 kB", true, "kfp"),
    ("grpcio", ">=1.48.2", "1.65.1", "5.7 MB", true, "kserve"),
    ("markupsafe", ">=2.0", "2.1.5", "28 kB", true, "jinja2"),
    ("jinja2", ">=3.1.2", "3.1.4", "133 kB", false, "kserve"),
    ("filelock", ">=3.13", "3.15.4", "16 kB", false, "kserve"),
    ("tqdm", ">=4.62.0", "4.66.4", "78 kB", false, "kserve"),
];

const ROOT_WARNING: &str = "WARNING: Running pip as the 'root' user can result in broken \
permissions and conflicting behaviour with the system package manager, possibly rendering your \
system unusable. It is recommended to use a virtual environment instead: \
https://pip.pypa.io/warnings/venv. Use the --root-user-action option if you intend to suppress \
this warning.";

/// The output of `RUN <command>` (`&&`/`;` chains print each part's output).
pub fn run_output(command: &str, files: &BTreeMap<String, String>, scale: f64) -> RunOutput {
    let mut out = RunOutput::default();
    for part in command.split("&&").flat_map(|p| p.split(';')) {
        let words: Vec<&str> = part.split_whitespace().collect();
        let part_out = match words.as_slice() {
            [pip, "install", rest @ ..]
            | ["python" | "python3", "-m", pip, "install", rest @ ..]
                if pip.starts_with("pip") =>
            {
                pip_install(rest, files, scale)
            }
            ["apt-get" | "apt", "update", ..] => apt_update(scale),
            ["apt-get" | "apt", "install", rest @ ..] => apt_install(rest),
            ["echo", rest @ ..] => RunOutput {
                lines: vec![rest.join(" ").trim_matches(['"', '\'']).to_owned()],
                failure: Vec::new(),
            },
            [first, ..] => RunOutput {
                lines: Vec::new(),
                failure: vec![format!("/bin/sh: 1: {first}: not found")],
            },
            [] => RunOutput::default(),
        };
        if out.failure.is_empty() {
            out.failure = part_out.failure;
        }
        out.lines.extend(part_out.lines);
    }
    out
}

fn scaled(base: usize, scale: f64) -> usize {
    // Rounded, and at most a few thousand lines whatever the scale says.
    (base as f64 * scale).round().clamp(0.0, 5000.0) as usize
}

/// `name==1.2` / `name>=1` / `name` -> (name, pinned version).
fn requirement(spec: &str) -> (String, Option<String>) {
    let end = spec
        .find(|c: char| "=<>!~[; ".contains(c))
        .unwrap_or(spec.len());
    let name = spec[..end].to_owned();
    let pinned = spec.split_once("==").map(|(_, v)| {
        v.split([';', ' ', ','])
            .next()
            .unwrap_or_default()
            .to_owned()
    });
    (name, pinned)
}

fn wheel(name: &str, version: &str, compiled: bool) -> String {
    let tag = if compiled {
        "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64"
    } else {
        "py3-none-any"
    };
    format!("{}-{version}-{tag}.whl", name.replace('-', "_"))
}

fn download(lines: &mut Vec<String>, name: &str, version: &str, size: &str, compiled: bool) {
    lines.push(format!(
        "  Downloading {} ({size})",
        wheel(name, version, compiled)
    ));
    if let Some(mb) = size.strip_suffix(" MB") {
        lines.push(format!(
            "     ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ {mb}/{mb} MB 94.6 MB/s eta 0:00:00"
        ));
    }
}

fn pip_install(args: &[&str], files: &BTreeMap<String, String>, scale: f64) -> RunOutput {
    // (spec, where it came from) for each top-level requirement.
    let mut wanted: Vec<(String, String)> = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match *arg {
            "-r" | "--requirement" => {
                let Some(file) = it.next() else { continue };
                let base = file.rsplit('/').next().unwrap_or(file);
                let text = files
                    .get(*file)
                    .or_else(|| {
                        files
                            .iter()
                            .find(|(p, _)| p.ends_with(base))
                            .map(|(_, t)| t)
                    })
                    .map_or(DEFAULT_REQUIREMENTS, String::as_str);
                let mut n = 0;
                for line in text.lines() {
                    n += 1;
                    let spec = line.split('#').next().unwrap_or_default().trim();
                    if !spec.is_empty() && !spec.starts_with('-') {
                        wanted.push((spec.to_owned(), format!("-r {file} (line {n})")));
                    }
                }
            }
            "-c" | "-i" | "--index-url" | "--extra-index-url" | "--constraint" => {
                it.next();
            }
            flag if flag.starts_with('-') => {}
            spec => wanted.push((spec.trim_matches(['"', '\'']).to_owned(), String::new())),
        }
    }
    let mut lines = Vec::new();
    let mut installed: Vec<(String, String)> = Vec::new();
    for (spec, origin) in &wanted {
        let (name, pinned) = requirement(spec);
        let known = PACKAGES.iter().find(|p| p.0.eq_ignore_ascii_case(&name));
        let version = pinned
            .or_else(|| known.map(|k| k.1.to_owned()))
            .unwrap_or_else(|| "1.0.0".to_owned());
        let (size, compiled) = known.map_or(("48 kB", false), |k| (k.2, k.3));
        if origin.is_empty() {
            lines.push(format!("Collecting {spec}"));
        } else {
            lines.push(format!("Collecting {spec} (from {origin})"));
        }
        download(&mut lines, &name, &version, size, compiled);
        installed.push((name, version));
    }
    // Found through a requirement (or a package collected before) that needs it.
    let mut found: Vec<(String, String)> = wanted
        .iter()
        .map(|(spec, origin)| (requirement(spec).0, format!("{spec}->{origin}")))
        .collect();
    for (name, needs, version, size, compiled, parent) in TRANSITIVE.iter().take(scaled(8, scale)) {
        let from = found
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(parent))
            .or(found.first())
            .map_or_else(|| "pip".to_owned(), |(_, chain)| chain.clone());
        let from = from.trim_end_matches("->").to_owned();
        lines.push(format!("Collecting {name}{needs} (from {from})"));
        download(&mut lines, name, version, size, *compiled);
        installed.push(((*name).to_owned(), (*version).to_owned()));
        found.push(((*name).to_owned(), format!("{name}{needs}->{from}")));
    }
    let names: Vec<&str> = installed.iter().rev().map(|(n, _)| n.as_str()).collect();
    lines.push(format!(
        "Installing collected packages: {}",
        names.join(", ")
    ));
    let mut done: Vec<String> = installed.iter().map(|(n, v)| format!("{n}-{v}")).collect();
    done.sort();
    lines.push(format!("Successfully installed {}", done.join(" ")));
    lines.push(ROOT_WARNING.to_owned());
    lines.push(String::new());
    lines.push("[notice] A new release of pip is available: 24.0 -> 24.2".to_owned());
    lines.push("[notice] To update, run: pip install --upgrade pip".to_owned());
    let missing = installed
        .first()
        .map_or("requirements", |(n, _)| n.as_str());
    let failure = vec![
        format!("ERROR: Could not find a version that satisfies the requirement {missing} (from versions: none)"),
        format!("ERROR: No matching distribution found for {missing}"),
    ];
    RunOutput { lines, failure }
}

fn apt_update(scale: f64) -> RunOutput {
    let sources = [
        ("http://deb.debian.org/debian bookworm InRelease", "151 kB"),
        (
            "http://deb.debian.org/debian bookworm-updates InRelease",
            "55.4 kB",
        ),
        (
            "http://deb.debian.org/debian-security bookworm-security InRelease",
            "48.0 kB",
        ),
        (
            "http://deb.debian.org/debian bookworm/main amd64 Packages",
            "8788 kB",
        ),
        (
            "http://deb.debian.org/debian bookworm-updates/main amd64 Packages",
            "13.8 kB",
        ),
        (
            "http://deb.debian.org/debian-security bookworm-security/main amd64 Packages",
            "216 kB",
        ),
    ];
    let mut lines: Vec<String> = sources
        .iter()
        .take(scaled(sources.len(), scale).max(1))
        .enumerate()
        .map(|(i, (what, size))| format!("Get:{} {what} [{size}]", i + 1))
        .collect();
    lines.push("Fetched 9272 kB in 1s (8430 kB/s)".to_owned());
    lines.push("Reading package lists...".to_owned());
    RunOutput {
        lines,
        failure: vec!["E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving 'deb.debian.org'".to_owned()],
    }
}

fn apt_install(args: &[&str]) -> RunOutput {
    let packages: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with('-'))
        .collect();
    let mut lines = vec![
        "Reading package lists...".to_owned(),
        "Building dependency tree...".to_owned(),
        "Reading state information...".to_owned(),
        "The following NEW packages will be installed:".to_owned(),
        format!("  {}", packages.join(" ")),
        format!(
            "0 upgraded, {} newly installed, 0 to remove and 0 not upgraded.",
            packages.len()
        ),
    ];
    for p in &packages {
        lines.push(format!("Setting up {p} ..."));
    }
    let missing = packages.first().copied().unwrap_or("package");
    RunOutput {
        lines,
        failure: vec![format!("E: Unable to locate package {missing}")],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_reads_the_requirements_file_of_the_context() {
        let files = BTreeMap::from([(
            "requirements.txt".to_owned(),
            "# pinned\nnumpy==1.26.4\nrequests\n".to_owned(),
        )]);
        let out = run_output(
            "pip install --no-cache-dir -r requirements.txt",
            &files,
            1.0,
        );
        assert_eq!(
            out.lines[0],
            "Collecting numpy==1.26.4 (from -r requirements.txt (line 2))"
        );
        assert!(out
            .lines
            .iter()
            .any(|l| l.starts_with("Collecting requests (from -r requirements.txt (line 3))")));
        assert!(out
            .lines
            .iter()
            .any(|l| l.starts_with("Successfully installed ")));
        let more = run_output("pip install -r requirements.txt", &files, 3.0);
        assert!(more.lines.len() > out.lines.len());
    }

    #[test]
    fn chains_print_each_part() {
        let out = run_output(
            "apt-get update && apt-get install -y curl && echo ok",
            &BTreeMap::new(),
            1.0,
        );
        assert!(out.lines.iter().any(|l| l.starts_with("Get:1 ")));
        assert!(out.lines.iter().any(|l| l == "Setting up curl ..."));
        assert_eq!(out.lines.last().map(String::as_str), Some("ok"));
    }
}
