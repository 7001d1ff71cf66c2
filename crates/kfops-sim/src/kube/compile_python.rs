//! What the simulator's compile pod knows of Python and of the KFP v2 compiler. It does not
//! run Python: it reads the pipeline file's text the way `kfp dsl compile` would see its
//! shape (kubeflow/pipelines, sdk/python/kfp/cli/compile_.py: the module is imported, the
//! function named by `--function`, else the module's only pipeline, is compiled to IR YAML,
//! and the output path is echoed):
//!
//! - a bracket left open, or a `def` line without its `:`, is the `SyntaxError` the import
//!   raises;
//! - functions decorated `@dsl.component` / `@component` / `@dsl.container_component` are
//!   components, `@dsl.pipeline` / `@pipeline` ones pipelines (`name=` of the decorator, else
//!   the function name, as `pipelineInfo.name`, lower-cased with `-` as KFP's API requires);
//! - the pipeline's body calling a component is one task of the root DAG (no data passing or
//!   dependencies are modelled: the tasks are independent).
//!
//! Errors print what the real CLI prints: `kfp`'s `main` (sdk/python/kfp/cli/__main__.py)
//! catches any exception, echoes `str(e)` to stderr and exits 1, so there is no traceback,
//! one line: the `ValueError` texts of compile_.py, or Python's `str()` of a `SyntaxError`
//! (`message (file, line N)`). The IR it writes is a small valid v2 `PipelineSpec` (what
//! src/sim/kfp/package.rs checks).

use serde_json::{json, Map, Value};

/// The pipeline file compiled, or the line a failing `kfp dsl compile` prints.
pub fn compile(path: &str, source: &str, function: Option<&str>) -> Result<String, String> {
    syntax(path, source)?;
    let defs = decorated_functions(source);
    let pipelines: Vec<&Def> = defs.iter().filter(|d| d.kind == Kind::Pipeline).collect();
    let components: Vec<&Def> = defs.iter().filter(|d| d.kind == Kind::Component).collect();
    let file = path.rsplit('/').next().unwrap_or(path);
    let chosen = match function {
        Some(name) => pipelines
            .iter()
            .find(|d| d.name == name)
            .copied()
            .ok_or_else(|| {
                format!("Pipeline function or component \"{name}\" not found in module {file}.")
            })?,
        None => match pipelines.as_slice() {
            [one] => *one,
            _ => {
                let module = file.trim_end_matches(".py");
                let objects = |defs: &[&Def]| {
                    let list: Vec<String> = defs.iter().map(|d| format!("<{}>", d.name)).collect();
                    format!("[{}]", list.join(", "))
                };
                return Err(format!(
                    "Expect one pipeline or component function in module <module '{module}' from '/workspace/{path}'>, got {} pipeline(s): {} and {} component(s): {}. Please specify the pipeline or component function name with --function.",
                    pipelines.len(),
                    objects(&pipelines),
                    components.len(),
                    objects(&components),
                ));
            }
        },
    };
    Ok(ir(chosen, &components))
}

/// Brackets closed and `def` lines ending with `:`; else `str()` of Python's SyntaxError.
fn syntax(path: &str, source: &str) -> Result<(), String> {
    let error =
        |line_no: usize, message: &str| format!("{message} (/workspace/{path}, line {line_no})");
    let mut open: Vec<(char, usize)> = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let code = line.split('#').next().unwrap_or(line);
        let trimmed = code.trim();
        if open.is_empty()
            && (trimmed.starts_with("def ") || trimmed.starts_with("class "))
            && trimmed.contains(')')
            && !trimmed.ends_with(':')
        {
            return Err(error(i + 1, "expected ':'"));
        }
        let mut quote: Option<char> = None;
        for ch in code.chars() {
            match (quote, ch) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(ch),
                (None, '(' | '[' | '{') => open.push((ch, i)),
                // (the guard pops the matching bracket)
                (None, ')' | ']' | '}') if open.pop().is_none() => {
                    return Err(error(i + 1, &format!("unmatched '{ch}'")));
                }
                _ => {}
            }
        }
    }
    if let Some((ch, i)) = open.first() {
        return Err(error(i + 1, &format!("'{ch}' was never closed")));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Component,
    Pipeline,
}

#[derive(Debug, Clone)]
struct Def {
    kind: Kind,
    name: String,
    /// `name=` of a pipeline's decorator.
    display: Option<String>,
    /// The components called in its body, in order.
    calls: Vec<String>,
}

/// Decorated top-level functions, with the calls of their bodies.
fn decorated_functions(source: &str) -> Vec<Def> {
    let lines: Vec<&str> = source.lines().collect();
    let mut defs = Vec::new();
    let mut pending: Option<(Kind, String)> = None;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix('@') {
            let head = rest.split('(').next().unwrap_or(rest);
            let kind = match head.rsplit('.').next().unwrap_or(head) {
                "pipeline" => Some(Kind::Pipeline),
                "component" | "container_component" => Some(Kind::Component),
                _ => None,
            };
            if let Some(kind) = kind {
                pending = Some((kind, String::new()));
            }
        }
        if let Some((_, text)) = pending.as_mut() {
            text.push_str(t);
            text.push(' ');
        }
        let Some(name) = t.strip_prefix("def ").and_then(|r| r.split('(').next()) else {
            continue;
        };
        let Some((kind, decorator)) = pending.take() else {
            continue;
        };
        let indent = line.len() - line.trim_start().len();
        let body: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
            .copied()
            .collect();
        defs.push(Def {
            kind,
            name: name.trim().to_string(),
            display: keyword(&decorator, "name"),
            calls: body.iter().flat_map(|l| calls(l)).collect(),
        });
    }
    let components: Vec<String> = defs
        .iter()
        .filter(|d| d.kind == Kind::Component)
        .map(|d| d.name.clone())
        .collect();
    for d in &mut defs {
        d.calls.retain(|c| components.contains(c));
    }
    defs
}

/// `key='value'` or `key="value"` in a decorator's text.
fn keyword(text: &str, key: &str) -> Option<String> {
    let at = text.find(&format!("{key}="))? + key.len() + 1;
    let rest = &text[at..];
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = rest[1..].split(quote).next()?;
    Some(value.to_string())
}

/// The names called on a line (`train(`, `x = prep(data=...)`).
fn calls(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let code = line.split('#').next().unwrap_or(line);
    let mut start = None;
    for (i, ch) in code.char_indices() {
        if ch.is_ascii_alphanumeric() || ch == '_' {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            if ch == '(' && !code[..s].ends_with('.') {
                out.push(code[s..i].to_string());
            }
        }
    }
    out
}

/// KFP's API wants `pipelineInfo.name` as `[a-z0-9-]`: lower-cased, other characters `-`.
fn sanitize(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        let c = if ch.is_ascii_alphanumeric() {
            ch.to_ascii_lowercase()
        } else {
            '-'
        };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    out.trim_end_matches('-').to_string()
}

/// A v2 `PipelineSpec` with one task per component call.
fn ir(pipeline: &Def, components: &[&Def]) -> String {
    let name = sanitize(pipeline.display.as_deref().unwrap_or(&pipeline.name));
    let mut comps = Map::new();
    let mut executors = Map::new();
    let mut tasks = Map::new();
    for c in components
        .iter()
        .filter(|c| pipeline.calls.contains(&c.name))
    {
        let n = sanitize(&c.name);
        comps.insert(
            format!("comp-{n}"),
            json!({ "executorLabel": format!("exec-{n}") }),
        );
        executors.insert(
            format!("exec-{n}"),
            json!({ "container": {
                "image": "python:3.11",
                "command": ["sh", "-ec", "python3 -m kfp.dsl.executor_main \"$@\"", "--"],
                "args": ["--executor_input", "{{$}}", "--function_to_execute", c.name],
            }}),
        );
    }
    for (i, call) in pipeline.calls.iter().enumerate() {
        let n = sanitize(call);
        let task = if pipeline.calls[..i].contains(call) {
            format!(
                "{n}-{}",
                pipeline.calls[..i].iter().filter(|c| *c == call).count() + 1
            )
        } else {
            n.clone()
        };
        tasks.insert(
            task.clone(),
            json!({
                "cachingOptions": { "enableCache": true },
                "componentRef": { "name": format!("comp-{n}") },
                "taskInfo": { "name": task },
            }),
        );
    }
    let spec = json!({
        "components": Value::Object(comps),
        "deploymentSpec": { "executors": Value::Object(executors) },
        "pipelineInfo": { "name": name },
        "root": { "dag": { "tasks": Value::Object(tasks) } },
        "schemaVersion": "2.1.0",
        "sdkVersion": "kfp-2.7.0",
    });
    let yaml = serde_norway::to_string(&spec).unwrap_or_default();
    format!("# PIPELINE DEFINITION\n# Name: {name}\n{yaml}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kfp::package;

    const IRIS: &str = "from kfp import dsl\n\n@dsl.component(base_image='python:3.11')\ndef prepare(n: int) -> int:\n    return n\n\n@dsl.component\ndef train(x: int):\n    print(x)  # (train)\n\n@dsl.pipeline(\n    name='Sklearn Iris',\n)\ndef iris_pipeline(n: int = 3):\n    p = prepare(n=n)\n    train(x=p.output)\n    train(x=1)\n";

    #[test]
    fn a_pipeline_compiles_to_a_package_the_kfp_simulator_accepts() {
        let yaml = compile("pipeline/pipeline.py", IRIS, None).unwrap_or_else(|e| panic!("{e:?}"));
        let p = package::parse(yaml.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.name, "sklearn-iris");
        let tasks = &p.pipeline_spec["root"]["dag"]["tasks"];
        assert!(tasks["prepare"].is_object() && tasks["train"].is_object());
        assert!(tasks["train-2"].is_object(), "{tasks}");
    }

    #[test]
    fn errors_are_what_the_kfp_cli_prints() {
        let broken = IRIS.replace("    train(x=1)\n", "    train(x=1\n");
        let line = compile("p/pipeline.py", &broken, None).unwrap_err();
        assert_eq!(
            line,
            "'(' was never closed (/workspace/p/pipeline.py, line 17)"
        );
        let line = compile("pipeline.py", &IRIS.replace("-> int:", "-> int"), None).unwrap_err();
        assert_eq!(line, "expected ':' (/workspace/pipeline.py, line 4)");
        let line = compile("p/pipeline.py", IRIS, Some("nope")).unwrap_err();
        assert_eq!(
            line,
            "Pipeline function or component \"nope\" not found in module pipeline.py."
        );
        let line = compile("pipeline.py", "import os\n", None).unwrap_err();
        assert!(line.starts_with("Expect one pipeline or component function in module <module 'pipeline' from '/workspace/pipeline.py'>, got 0 pipeline(s): [] and 0 component(s): []."), "{line}");
    }
}
