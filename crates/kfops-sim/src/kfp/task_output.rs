//! What a task pod prints: Argo's `wait` sidecar (logrus lines), and in `main` the KFP v2
//! launcher (glog lines: `I1125 10:00:00.123456      21 launcher_v2.go:90] ...`) around the
//! component's own output, chosen by what the task's name says it does (ingest, validate,
//! features, tuning trial, training, metrics, thresholds, export; anything else prints its
//! parameters). A failing task ends with a Python traceback and the launcher's fatal line.

use std::collections::BTreeMap;

use chrono::{SecondsFormat, Utc};
use serde_json::Value;

use super::task_pod::{MAIN, WAIT};
use crate::github::fake_sha;
use crate::kube::Step;

/// What the program knows about the task its pod runs.
#[derive(Debug, Clone)]
pub struct TaskInfo {
    pub task: String,
    pub pod: String,
    pub namespace: String,
    pub run_id: String,
    pub executor: String,
    pub image: String,
    /// The component's command and arguments (placeholders filled).
    pub command: Vec<String>,
    pub parameters: BTreeMap<String, Value>,
    /// Output artifact URIs by name.
    pub outputs: BTreeMap<String, String>,
    pub execution_id: i64,
    pub fails: bool,
    pub task_ms: u64,
}

/// One step of the script; `work` lines share the task's running time.
#[derive(Debug, Clone)]
pub struct Line {
    pub container: &'static str,
    pub work: bool,
    text: Text,
}

#[derive(Debug, Clone)]
enum Text {
    /// A glog line of the launcher: level, `file:line`, message.
    Glog(char, &'static str, String),
    /// A logrus line of argoexec: message and extra fields.
    Argo(String, String),
    /// The component's own output.
    Raw(String),
    Exit(i32),
}

impl Line {
    fn glog(level: char, at: &'static str, msg: impl Into<String>) -> Line {
        Line {
            container: MAIN,
            work: false,
            text: Text::Glog(level, at, msg.into()),
        }
    }

    fn argo(msg: &str, extra: impl Into<String>) -> Line {
        Line {
            container: WAIT,
            work: false,
            text: Text::Argo(msg.to_owned(), extra.into()),
        }
    }

    fn out(text: impl Into<String>) -> Line {
        Line {
            container: MAIN,
            work: true,
            text: Text::Raw(text.into()),
        }
    }

    fn exit(container: &'static str, code: i32) -> Line {
        Line {
            container,
            work: false,
            text: Text::Exit(code),
        }
    }

    /// The step, with the time it is reached in its text.
    pub fn step(self) -> Step {
        let now = Utc::now();
        let text = match self.text {
            Text::Exit(code) => {
                return Step::Exit {
                    container: self.container.to_owned(),
                    code,
                }
            }
            Text::Raw(text) => text,
            Text::Glog(level, at, msg) => format!(
                "{level}{} {:>7} {at}] {msg}",
                now.format("%m%d %H:%M:%S%.6f"),
                21
            ),
            Text::Argo(msg, extra) => {
                let extra = if extra.is_empty() {
                    String::new()
                } else {
                    format!(" {extra}")
                };
                format!(
                    "time=\"{}\" level=info msg=\"{}\"{extra}",
                    now.to_rfc3339_opts(SecondsFormat::Secs, true),
                    msg.replace('"', "\\\"")
                )
            }
        };
        Step::line(self.container, text)
    }
}

/// A small deterministic random source per task.
struct Dice(u64);

impl Dice {
    fn new(seed: &str) -> Dice {
        let hex = fake_sha(seed);
        Dice(u64::from_str_radix(&hex[..16], 16).unwrap_or(7) | 1)
    }

    /// In `[0, 1)`.
    fn next(&mut self) -> f64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.next()
    }
}

fn param<'a>(info: &'a TaskInfo, name: &str) -> Option<&'a Value> {
    info.parameters.get(name).filter(|v| !v.is_null())
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Where the launcher mounts an output artifact.
fn local(info: &TaskInfo, name: &str) -> String {
    info.outputs
        .get(name)
        .map(|uri| format!("/{}", uri.replacen("://", "/", 1)))
        .unwrap_or_else(|| format!("/tmp/outputs/{name}"))
}

/// The whole script of a task pod.
pub fn script(info: &TaskInfo) -> Vec<Line> {
    let mut lines = vec![
        Line::argo("Starting Workflow Executor", "version=v3.4.17"),
        Line::argo(
            "Using executor retry strategy",
            "Duration=1s Factor=1.6 Jitter=0.5 Steps=5",
        ),
        Line::argo(
            "Executor initialized",
            format!(
                "deadline=\"0001-01-01 00:00:00 +0000 UTC\" includeScriptOutput=false namespace={} podName={} templateName=system-container-impl version=\"&Version{{Version:v3.4.17,GitCommit:3bf3c2ea8d2e8d6d41ab5a4aa3c47e8e1f6ec6a2,GitTreeState:clean,GoVersion:go1.21.10,Compiler:gc,Platform:linux/amd64,}}\"",
                info.namespace, info.pod
            ),
        ),
        Line::argo("Starting deadline monitor", ""),
        Line::glog(
            'I',
            "launcher_v2.go:90",
            format!(
                "input ComponentSpec:{{\"executorLabel\":\"{}\"}}",
                info.executor
            ),
        ),
        Line::glog(
            'I',
            "cache.go:116",
            "Connecting to cache endpoint ml-pipeline.kubeflow:8887",
        ),
        Line::glog('I', "client_manager.go:160", "Initializing client manager"),
        Line::glog(
            'I',
            "launcher_v2.go:751",
            format!(
                "Launching component: {} (execution {}, image {})",
                cut(&info.command.join(" "), 240),
                info.execution_id,
                info.image
            ),
        ),
    ];
    let mut dice = Dice::new(&format!("{}/{}", info.run_id, info.pod));
    let mut body = component_output(info, &mut dice);
    if info.fails {
        // The failure comes half-way through the work (a threshold check fails at its end).
        if !is_threshold(info) {
            body.truncate(body.len().div_ceil(2));
        }
        lines.extend(body);
        let module = info
            .command
            .iter()
            .find(|a| a.starts_with("src."))
            .map(|m| m.replace('.', "/"))
            .unwrap_or_else(|| "src/main".to_owned());
        let (code, error) = if is_threshold(info) {
            (
                "    raise ValueError(f\"holdout AUC {auc:.4f} is below min_auc {min_auc}\")"
                    .to_owned(),
                format!(
                    "ValueError: holdout AUC {:.4} is below min_auc {}",
                    low_auc(info),
                    min_auc(info)
                ),
            )
        } else {
            (
                "    X = _check_array(frame, dtype=np.float32)".to_owned(),
                "ValueError: Input contains NaN, infinity or a value too large for dtype('float32')."
                    .to_owned(),
            )
        };
        for text in [
            "Traceback (most recent call last):".to_owned(),
            "  File \"<frozen runpy>\", line 198, in _run_module_as_main".to_owned(),
            "  File \"<frozen runpy>\", line 88, in _run_code".to_owned(),
            format!("  File \"/app/{module}.py\", line 112, in <module>"),
            "    main()".to_owned(),
            format!("  File \"/app/{module}.py\", line 97, in main"),
            code,
            error,
        ] {
            lines.push(Line {
                work: false,
                ..Line::out(text)
            });
        }
        lines.push(Line::glog(
            'F',
            "main.go:49",
            "failed to execute component: exit status 1",
        ));
        lines.push(Line::exit(MAIN, 1));
        lines.push(Line::argo(
            "Main container completed",
            "error=\"exit status 1\"",
        ));
    } else {
        lines.extend(body);
        lines.push(Line::glog('I', "launcher_v2.go:189", "publish success."));
        lines.push(Line::exit(MAIN, 0));
        lines.push(Line::argo("Main container completed", "error=\"<nil>\""));
    }
    lines.push(Line::argo("No output parameters", ""));
    lines.push(Line::argo("Deadline monitor stopped", ""));
    lines.push(Line::argo(
        &format!(
            "Alloc={} TotalAlloc={} Sys=23389 NumGC=4 Goroutines=8",
            6000 + (dice.next() * 3000.0) as u32,
            12000 + (dice.next() * 6000.0) as u32
        ),
        "",
    ));
    lines.push(Line::exit(WAIT, 0));
    lines
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push('…');
    out
}

fn is_threshold(info: &TaskInfo) -> bool {
    info.task.contains("threshold") || info.task.contains("check")
}

fn min_auc(info: &TaskInfo) -> String {
    param(info, "min_auc").map_or("0.85".to_owned(), shown)
}

/// The AUC a failing threshold check reports: below the usual minimum.
fn low_auc(info: &TaskInfo) -> f64 {
    Dice::new(&format!("{}/{}/low", info.run_id, info.pod)).between(0.80, 0.84)
}

/// What the component prints, by kind of task.
fn component_output(info: &TaskInfo, dice: &mut Dice) -> Vec<Line> {
    let name = info.task.as_str();
    let has = |word: &str| name.contains(word);
    let rows = 48_213;
    let auc = dice.between(0.855, 0.885);
    let mut out = Vec::new();
    if has("ingest") {
        let date = param(info, "snapshot_date").map_or("latest".to_owned(), shown);
        out.push(format!(
            "Reading customer snapshot {date} from bq://acme-ml.churn.customers_daily"
        ));
        out.push(format!(
            "Query finished: {rows} rows, 21 columns ({:.1} GB processed)",
            dice.between(1.6, 2.3)
        ));
        out.push(format!("Wrote {rows} rows to {}", local(info, "raw_data")));
    } else if has("validat") {
        out.push(format!(
            "Validating {rows} rows against schema churn_v3 (21 columns)"
        ));
        out.push("tenure_months: 0 nulls, range [0, 72]".to_owned());
        out.push("monthly_charges: 0 nulls, range [18.25, 118.75]".to_owned());
        out.push(
            "total_charges: 11 nulls (0.02%), imputed as monthly_charges * tenure_months"
                .to_owned(),
        );
        out.push(format!(
            "churned: {:.1}% positive (expected 20-35%)",
            dice.between(25.0, 28.0)
        ));
        out.push("Validation passed: 0 errors, 1 warning".to_owned());
    } else if has("feature") {
        out.push("One-hot encoding 7 categorical columns, scaling 6 numeric columns".to_owned());
        out.push("Tenure buckets: [0, 3), [3, 6), [6, 12), [12, 24), [24, inf)".to_owned());
        out.push(
            "Split (stratified on churned): train 33749 / validation 7232 / holdout 7232"
                .to_owned(),
        );
        out.push(format!(
            "Wrote {rows} x 46 feature matrix to {}",
            local(info, "features")
        ));
    } else if has("tune") || has("trial") {
        let params = info
            .parameters
            .values()
            .find(|v| v.is_object())
            .map_or_else(|| "{}".to_owned(), Value::to_string);
        out.push(format!("Trial parameters: {params}"));
        let mut score = dice.between(0.78, 0.80);
        for round in [0, 50, 100, 150, 199] {
            out.push(format!("[{round}]\tvalidation-auc:{score:.5}"));
            score += dice.between(0.004, 0.022);
        }
        out.push(format!("Trial validation AUC: {:.4}", score.min(0.89)));
    } else if has("train") {
        let epochs = param(info, "epochs")
            .and_then(Value::as_f64)
            .map_or(20, |e| e.max(1.0) as u64);
        let rate = param(info, "learning_rate").map_or("0.01".to_owned(), shown);
        out.push(format!(
            "Training XGBoost classifier on 33749 rows: learning_rate={rate} epochs={epochs}"
        ));
        let (mut loss, mut train_auc) = (dice.between(0.52, 0.58), dice.between(0.76, 0.79));
        let shown_epochs: Vec<u64> = if epochs <= 6 {
            (1..=epochs).collect()
        } else {
            let step = epochs.div_ceil(5);
            (1..=epochs)
                .filter(|e| *e == 1 || e % step == 0 || *e == epochs)
                .collect()
        };
        for epoch in shown_epochs {
            let progress = epoch as f64 / epochs as f64;
            loss *= 1.0 - 0.18 * progress;
            train_auc += (0.9 - train_auc) * 0.35;
            out.push(format!(
                "Epoch {epoch}/{epochs} - loss: {loss:.4} - auc: {train_auc:.4} - val_auc: {:.4}",
                train_auc - dice.between(0.005, 0.02)
            ));
        }
        out.push(format!("Saved model to {}", local(info, "model")));
    } else if has("metric") || has("evaluat") {
        out.push("Scoring holdout: 7232 rows, churn rate 26.5%".to_owned());
        out.push(format!(
            "AUC={auc:.4} precision={:.4} recall={:.4} f1={:.4}",
            dice.between(0.64, 0.70),
            dice.between(0.52, 0.58),
            dice.between(0.58, 0.62)
        ));
        out.push(format!("Wrote metrics to {}", local(info, "metrics")));
    } else if is_threshold(info) {
        out.push("Calibration error 0.021 <= 0.05: OK".to_owned());
        let min = min_auc(info);
        if info.fails {
            out.push(format!(
                "Holdout AUC {:.4} < min_auc {min}: FAILED",
                low_auc(info)
            ));
        } else {
            out.push(format!("Holdout AUC {auc:.4} >= min_auc {min}: OK"));
        }
    } else if has("export") || has("upload") || has("push") {
        out.push(format!(
            "Exporting model to gs://acme-ml-models/churn-model/{}/model.joblib",
            info.run_id
        ));
        out.push(format!(
            "Uploaded 1 file ({:.1} MB)",
            dice.between(2.0, 3.0)
        ));
    } else {
        let echo = info.command.iter().any(|a| a.contains("echo"));
        for (key, value) in &info.parameters {
            if echo {
                out.push(format!("+ echo '{}'", shown(value)));
                out.push(shown(value));
            } else {
                out.push(format!("{key} = {}", shown(value)));
            }
        }
        out.push("Done.".to_owned());
    }
    out.into_iter().map(Line::out).collect()
}
