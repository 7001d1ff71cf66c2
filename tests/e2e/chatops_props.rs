//! Properties of the chat command syntax and of Kfops' hidden comment variables.

use kfops_console::chatops::{
    parse, parse_comment, read_var, vars_in, write_var, ChatCommand, DeployTarget, VAR_RUN_ID,
    VAR_VERSION_ID,
};
use proptest::prelude::*;

/// Any run id `parse` accepts.
fn run_id() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9._-]{1,128}",
        // Kubeflow run ids are UUIDs.
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    ]
}

/// Any command `parse` can produce.
fn command() -> impl Strategy<Value = ChatCommand> {
    prop_oneof![
        Just(ChatCommand::Build),
        Just(ChatCommand::Run),
        Just(ChatCommand::BuildRun),
        (proptest::option::of(run_id()), any::<bool>()).prop_map(|(run_id, force)| {
            ChatCommand::Deploy {
                target: DeployTarget::Production,
                run_id,
                force,
                allow_run_of_pr: None,
            }
        }),
        proptest::option::of(run_id()).prop_map(|run_id| ChatCommand::Deploy {
            target: DeployTarget::Staging,
            run_id,
            force: false,
            allow_run_of_pr: None,
        }),
    ]
}

/// Command-line-ish text: real commands, flags and junk, separated by whitespace,
/// so that the parser's deeper branches are reached, not only its first check.
fn commandish() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("/build".to_owned()),
        Just("/run".to_owned()),
        Just("/build_run".to_owned()),
        Just("/deploy".to_owned()),
        Just("/staging_deploy".to_owned()),
        Just("--run-id".to_owned()),
        Just("--run-id=".to_owned()),
        Just("--force".to_owned()),
        Just("--force=".to_owned()),
        Just("-".to_owned()),
        Just("/".to_owned()),
        "--run-id=\\PC{0,8}",
        "[A-Za-z0-9._/=é-]{0,12}",
        "\\PC{0,6}",
    ];
    let gap = "[ \t\n\r\u{a0}\u{3000}]{0,3}";
    (gap, proptest::collection::vec((word, gap), 0..6)).prop_map(|(lead, words)| {
        words.into_iter().fold(lead, |mut s, (w, g)| {
            s.push_str(&w);
            s.push_str(&g);
            s
        })
    })
}

/// One piece of the chat syntax for a command, for rebuilding it in other shapes.
fn variant(cmd: &ChatCommand, equals_form: bool, flags_reversed: bool) -> Vec<String> {
    let mut words = vec![format!("/{}", cmd.name())];
    let mut flags: Vec<Vec<String>> = Vec::new();
    if let ChatCommand::Deploy { run_id, force, .. } = cmd {
        if let Some(id) = run_id {
            // `--run-id --x` would read `--x` as the next flag, so such ids use `=`.
            if equals_form || id.starts_with("--") {
                flags.push(vec![format!("--run-id={id}")]);
            } else {
                flags.push(vec!["--run-id".to_owned(), id.clone()]);
            }
        }
        if *force {
            flags.push(vec!["--force".to_owned()]);
        }
    }
    if flags_reversed {
        flags.reverse();
    }
    words.extend(flags.into_iter().flatten());
    words
}

/// A hidden variable value `write_var` can carry: no surrounding whitespace, no `-->`.
fn var_value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._:/=-]([A-Za-z0-9 ._:/=-]{0,40}[A-Za-z0-9._:/=-])?"
}

/// Free text of a comment: anything that does not open an HTML comment.
fn free_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        "[a-z <>!=_-]{0,40}",
        Just("Type: <code>&#47;deploy --run-id=x</code> -->".to_owned()),
        Just("KFOPS_RUN_ID=not-hidden".to_owned()),
    ]
    .prop_filter("no comment opener", |s| !s.contains("<!--"))
}

/// A piece of a PR comment for the interleaving property.
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    /// `(index into NAMES, value)`.
    Var(usize, String),
    /// A variable written with an empty value: ignored by readers.
    EmptyVar(usize),
}

const NAMES: [&str; 3] = [VAR_RUN_ID, VAR_VERSION_ID, "KFOPS_OTHER_1"];

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        3 => free_text().prop_map(Piece::Text),
        3 => (0..NAMES.len(), var_value()).prop_map(|(n, v)| Piece::Var(n, v)),
        1 => (0..NAMES.len()).prop_map(Piece::EmptyVar),
    ]
}

fn render(pieces: &[Piece], separator: &str) -> String {
    let rendered: Vec<String> = pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) => t.clone(),
            Piece::Var(n, v) => write_var(NAMES[*n], v),
            Piece::EmptyVar(n) => format!("<!-- {}= -->", NAMES[*n]),
        })
        .collect();
    rendered.join(separator)
}

/// Kfops' build comment, verbatim (`pipeline_build_template`, plus the `/run`
/// hint Kfops appends after `/build`).
fn build_comment(url: &str, version_id: &str, build_only: bool) -> String {
    let mut body = format!(
        "\nPipeline compiled successfully. <a href=\"{url}\" target=\"_blank\">Details</a><br/>\n<!-- KFOPS_VERSION_ID={version_id} -->\n"
    );
    if build_only {
        body.push_str("<br/>Type: <code>&#47;run</code> to run the compiled pipeline.");
    }
    body
}

/// Kfops' run-started comment, verbatim: it carries no variable.
fn run_started_comment(url: &str) -> String {
    format!(
        "\nPipeline run started. <a href=\"{url}\" target=\"_blank\">Details</a>\nWait for completion message.\n"
    )
}

/// Kfops' run-completed comment, verbatim (`pipeline_run_completed_template`).
fn run_completed_comment(run_id: &str, run_time: &str) -> String {
    format!(
        "\nPipeline run successfully completed after {run_time}.\n\n\
* Type: <code>&#47;deploy</code> to deploy to production model from last pipeline run (in this PR).\n\
* Type: <code>&#47;deploy --run-id={run_id}</code> to deploy to production this particular pipeline run.\n\
* Type: <code>&#47;staging_deploy</code> to deploy to staging model from last pipeline run (in this PR).\n\
* Type: <code>&#47;staging_deploy --run-id={run_id}</code> to deploy to staging this particular pipeline run.\n\n\
<b>Note:</b> Sucessful deployment to production will automatically merge your code with base branch and close the Pull request.\n\
<!-- KFOPS_RUN_ID={run_id} -->\n"
    )
}

fn url() -> impl Strategy<Value = String> {
    "https://[a-z0-9.-]{1,20}/#/(pipelines|runs)/details/[0-9a-f-]{1,36}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn display_then_parse_round_trips(cmd in command()) {
        let text = cmd.to_string();
        prop_assert_eq!(parse(&text), Ok(cmd.clone()), "{}", text);
        // A comment made of the command alone, or followed by prose, is that command.
        prop_assert_eq!(parse_comment(&format!("\n \n{text}\r\nthanks!")), Some(Ok(cmd)));
    }

    #[test]
    fn parse_never_panics(s in "\\PC*", t in commandish()) {
        let _ = parse(&s);
        let _ = parse(&t);
        let _ = parse_comment(&s);
        let _ = parse_comment(&t);
    }

    #[test]
    fn parse_errors_unless_the_line_starts_with_a_slash(s in prop_oneof!["\\PC*", commandish()]) {
        prop_assume!(!s.trim_start().starts_with('/'));
        prop_assert!(parse(&s).is_err(), "{:?} parsed", s);
    }

    #[test]
    fn parse_errors_when_the_first_word_lacks_the_slash(
        lead in "[ \t]{0,3}",
        first in "[^/\\s]\\S{0,15}",
        rest in commandish(),
    ) {
        let input = format!("{lead}{first} {rest}");
        let err = parse(&input).expect_err(&input);
        prop_assert!(err.to_string().contains("commands start with /"), "{}", err);
        prop_assert_eq!(err.column(), Some(lead.len() + 1));
    }

    #[test]
    fn whitespace_and_flag_order_do_not_matter(
        cmd in command(),
        equals_form in any::<bool>(),
        flags_reversed in any::<bool>(),
        lead in "[ \t\r\n]{0,4}",
        trail in "[ \t\r\n]{0,4}",
        gaps in proptest::collection::vec("[ \t]{1,4}", 4),
    ) {
        let words = variant(&cmd, equals_form, flags_reversed);
        let mut input = lead;
        for (i, word) in words.iter().enumerate() {
            if i > 0 {
                input.push_str(&gaps[i - 1]);
            }
            input.push_str(word);
        }
        input.push_str(&trail);
        prop_assert_eq!(parse(&input), Ok(cmd), "{:?}", input);
    }

    #[test]
    fn an_invalid_run_id_is_rejected_at_its_column(
        prefix in "[A-Za-z0-9._-]{0,10}",
        bad in "[^A-Za-z0-9._\\-\\s]",
        suffix in "[A-Za-z0-9._-]{0,10}",
    ) {
        let input = format!("/deploy --run-id={prefix}{bad}{suffix}");
        let err = parse(&input).expect_err(&input);
        prop_assert_eq!(err.column(), Some("/deploy --run-id=".len() + prefix.len() + 1));
    }

    #[test]
    fn write_then_read_returns_the_value(
        name in "KFOPS_[A-Z0-9_]{1,20}",
        value in var_value(),
        before in free_text(),
        after in free_text(),
    ) {
        let body = format!("{before}\n{}\n{after}", write_var(&name, &value));
        prop_assert_eq!(read_var([body.as_str()], &name), Some(value.clone()));
        prop_assert_eq!(vars_in(&body), vec![(name, value)]);
    }

    #[test]
    fn last_written_value_wins_across_comments(
        comments in proptest::collection::vec(proptest::collection::vec(piece(), 0..6), 0..6),
        separator in prop_oneof![Just(""), Just(" "), Just("\n")],
    ) {
        let bodies: Vec<String> = comments.iter().map(|c| render(c, separator)).collect();
        for (n, name) in NAMES.iter().enumerate() {
            let expected = comments.iter().flatten().rev().find_map(|p| match p {
                Piece::Var(i, v) if *i == n => Some(v.clone()),
                _ => None,
            });
            prop_assert_eq!(read_var(bodies.iter().map(String::as_str), name), expected, "{:?}", bodies);
        }
        let all: Vec<(String, String)> = bodies.iter().flat_map(|b| vars_in(b)).collect();
        let written: Vec<(String, String)> = comments.iter().flatten().filter_map(|p| match p {
            Piece::Var(n, v) => Some((NAMES[*n].to_owned(), v.clone())),
            _ => None,
        }).collect();
        prop_assert_eq!(all, written);
    }

    #[test]
    fn vars_in_never_panics(
        s in "\\PC*",
        pieces in proptest::collection::vec(
            prop_oneof![
                Just("<!--"), Just("-->"), Just("<!-->"), Just("<!--->"), Just("KFOPS_"),
                Just("KFOPS_RUN_ID"), Just("="), Just(" "), Just("é"), Just("-"), Just("<"),
            ],
            0..12,
        ),
    ) {
        let _ = vars_in(&s);
        let _ = vars_in(&pieces.concat());
        let _ = read_var([s.as_str(), pieces.concat().as_str()], VAR_RUN_ID);
    }

    #[test]
    fn kfops_comment_templates_are_read(
        build_url in url(),
        run_url in url(),
        version_ids in proptest::collection::vec(run_id(), 1..4),
        run_ids in proptest::collection::vec(run_id(), 1..4),
        build_only in any::<bool>(),
        run_time in "[0-9]{1,2}:[0-5][0-9]:[0-5][0-9]",
    ) {
        // One comment of each kind on its own.
        let build = build_comment(&build_url, &version_ids[0], build_only);
        prop_assert_eq!(read_var([build.as_str()], VAR_VERSION_ID), Some(version_ids[0].clone()));
        prop_assert_eq!(read_var([build.as_str()], VAR_RUN_ID), None);
        let done = run_completed_comment(&run_ids[0], &run_time);
        prop_assert_eq!(read_var([done.as_str()], VAR_RUN_ID), Some(run_ids[0].clone()));
        prop_assert_eq!(vars_in(&done), vec![(VAR_RUN_ID.to_owned(), run_ids[0].clone())]);
        // Kfops' own comments are never commands.
        prop_assert_eq!(parse_comment(&build), None);
        prop_assert_eq!(parse_comment(&done), None);
        prop_assert_eq!(parse_comment(&run_started_comment(&run_url)), None);

        // A PR's history: operators' commands and Kfops' answers; the last ones win.
        let mut bodies = Vec::new();
        for (i, version_id) in version_ids.iter().enumerate() {
            bodies.push("/build_run".to_owned());
            bodies.push(build_comment(&build_url, version_id, false));
            bodies.push(run_started_comment(&run_url));
            if let Some(run_id) = run_ids.get(i) {
                bodies.push(run_completed_comment(run_id, &run_time));
                bodies.push(format!("/staging_deploy --run-id={run_id}"));
            }
        }
        let last_run = run_ids.get(version_ids.len().min(run_ids.len()) - 1).cloned();
        prop_assert_eq!(read_var(bodies.iter().map(String::as_str), VAR_VERSION_ID), version_ids.last().cloned());
        prop_assert_eq!(read_var(bodies.iter().map(String::as_str), VAR_RUN_ID), last_run);
        let commands: Vec<ChatCommand> = bodies.iter().filter_map(|b| parse_comment(b)).map(Result::unwrap).collect();
        prop_assert_eq!(commands.len(), version_ids.len() + run_ids.len().min(version_ids.len()));
    }
}

#[test]
fn the_literal_kfops_templates_are_read() {
    let build = "Pipeline compiled successfully. <a href=\"https://kfp.example/#/pipelines/details/p1\" target=\"_blank\">Details</a><br/>\n<!-- KFOPS_VERSION_ID=6f2a1c0e-1b2c-4d5e-8f90-a1b2c3d4e5f6 -->\n";
    assert_eq!(
        read_var([build], VAR_VERSION_ID).as_deref(),
        Some("6f2a1c0e-1b2c-4d5e-8f90-a1b2c3d4e5f6")
    );
    let done = run_completed_comment("run-42", "0:12:03");
    assert!(done.ends_with("<!-- KFOPS_RUN_ID=run-42 -->\n"));
    assert_eq!(
        read_var([build, done.as_str()], VAR_RUN_ID).as_deref(),
        Some("run-42")
    );
}
