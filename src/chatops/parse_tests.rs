//! The chat syntax: accepted forms, every error with its column, the canonical form.

use super::*;

fn deploy(run_id: Option<&str>, force: bool) -> ChatCommand {
    ChatCommand::Deploy {
        target: DeployTarget::Production,
        run_id: run_id.map(str::to_owned),
        force,
        allow_run_of_pr: None,
    }
}

fn staging(run_id: Option<&str>) -> ChatCommand {
    ChatCommand::Deploy {
        target: DeployTarget::Staging,
        run_id: run_id.map(str::to_owned),
        force: false,
        allow_run_of_pr: None,
    }
}

fn err(input: &str) -> ParseError {
    parse(input).expect_err(input)
}

#[test]
fn parses_every_command() {
    assert_eq!(parse("/build"), Ok(ChatCommand::Build));
    assert_eq!(parse("/run"), Ok(ChatCommand::Run));
    assert_eq!(parse("/build_run"), Ok(ChatCommand::BuildRun));
    assert_eq!(parse("/deploy"), Ok(deploy(None, false)));
    assert_eq!(parse("/staging_deploy"), Ok(staging(None)));
}

#[test]
fn parses_flags_in_both_forms_and_any_order() {
    let want = deploy(Some("abc"), true);
    for input in [
        "/deploy --run-id=abc --force",
        "/deploy --force --run-id=abc",
        "/deploy --run-id abc --force",
        "/deploy --force --run-id abc",
        "  \t/deploy\t --run-id   abc  --force \n",
    ] {
        assert_eq!(parse(input), Ok(want.clone()), "{input:?}");
    }
    assert_eq!(parse("/deploy --force"), Ok(deploy(None, true)));
    assert_eq!(
        parse("/staging_deploy --run-id=run-1.2_x"),
        Ok(staging(Some("run-1.2_x")))
    );
    // A single dash is a valid id character, even in front.
    assert_eq!(parse("/deploy --run-id -x"), Ok(deploy(Some("-x"), false)));
}

#[test]
fn displays_canonically() {
    assert_eq!(
        deploy(Some("abc"), true).to_string(),
        "/deploy --run-id=abc --force"
    );
    assert_eq!(deploy(None, true).to_string(), "/deploy --force");
    assert_eq!(staging(Some("r")).to_string(), "/staging_deploy --run-id=r");
    assert_eq!(ChatCommand::BuildRun.to_string(), "/build_run");
}

#[test]
fn names_and_mutation() {
    assert_eq!(ChatCommand::BuildRun.name(), "build_run");
    assert_eq!(staging(None).name(), "staging_deploy");
    assert!(ChatCommand::Build.is_mutating());
    assert!(deploy(None, false).is_mutating());
}

#[test]
fn empty_input() {
    for input in ["", "   ", "\n\t"] {
        let e = err(input);
        assert_eq!(e.kind(), &ParseErrorKind::Empty);
        assert_eq!(e.column(), None);
        assert!(e.to_string().contains("/staging_deploy"), "{e}");
    }
}

#[test]
fn missing_slash() {
    let e = err("  deploy --force");
    assert_eq!(e.column(), Some(3));
    assert_eq!(
        e.to_string(),
        "column 3: `deploy` is not a command: commands start with / (did you mean `/deploy`?); \
         valid commands: /build, /run, /build_run, /deploy, /staging_deploy"
    );
    assert!(err("hello").to_string().contains("commands start with /"));
}

#[test]
fn unknown_command_suggests_the_closest() {
    let e = err("/deplyo");
    assert_eq!(
        e.to_string(),
        "column 1: unknown command `/deplyo` (did you mean `/deploy`?); \
         valid commands: /build, /run, /build_run, /deploy, /staging_deploy"
    );
    let suggestion = |input: &str| match err(input).kind() {
        ParseErrorKind::UnknownCommand { suggestion, .. } => *suggestion,
        other => panic!("{other:?}"),
    };
    assert_eq!(suggestion("/Deploy"), Some("/deploy"));
    assert_eq!(suggestion("/buidl"), Some("/build"));
    assert_eq!(suggestion("/buildrun"), Some("/build_run"));
    assert_eq!(suggestion("/staging-deploy"), Some("/staging_deploy"));
    assert_eq!(suggestion("/rnu"), Some("/run"));
    assert_eq!(suggestion("/merge"), None);
    assert_eq!(suggestion("/"), None);
    assert_eq!(suggestion("/build/run"), Some("/build_run"));
    assert_eq!(suggestion("/status"), None);
}

#[test]
fn flags_on_commands_that_take_none() {
    let e = err("/build --force");
    assert_eq!(e.column(), Some(8));
    assert_eq!(
        e.to_string(),
        "column 8: /build takes no flags or arguments, found `--force`"
    );
    assert!(matches!(
        err("/run now").kind(),
        ParseErrorKind::TakesNoArguments { command: "run", .. }
    ));
}

#[test]
fn force_on_staging() {
    let e = err("/staging_deploy --force");
    assert_eq!(e.column(), Some(17));
    assert_eq!(
        e.to_string(),
        "column 17: --force applies only to /deploy; staging deploys are never blocked"
    );
    assert_eq!(
        err("/staging_deploy --force=yes").kind(),
        &ParseErrorKind::ForceOnStaging
    );
}

#[test]
fn unknown_flags_and_arguments() {
    let e = err("/deploy --forse");
    assert_eq!(e.column(), Some(9));
    assert_eq!(
        e.to_string(),
        "column 9: unknown flag `--forse` for /deploy (did you mean `--force`?); \
         valid flags: --run-id=ID, --force"
    );
    assert_eq!(
        err("/staging_deploy --run_id=x").to_string(),
        "column 17: unknown flag `--run_id=x` for /staging_deploy (did you mean `--run-id`?); \
         valid flags: --run-id=ID"
    );
    assert_eq!(
        err("/deploy -f").to_string(),
        "column 9: unknown flag `-f` for /deploy; valid flags: --run-id=ID, --force"
    );
    assert_eq!(
        err("/deploy abc").to_string(),
        "column 9: unexpected argument `abc` for /deploy; valid flags: --run-id=ID, --force"
    );
    assert_eq!(
        err("/deploy --force=1").kind(),
        &ParseErrorKind::FlagTakesNoValue
    );
}

#[test]
fn duplicate_flags() {
    let e = err("/deploy --force --force");
    assert_eq!(e.column(), Some(17));
    assert_eq!(
        e.to_string(),
        "column 17: duplicate flag `--force`; give it at most once"
    );
    assert_eq!(
        err("/deploy --run-id=a --run-id b").kind(),
        &ParseErrorKind::DuplicateFlag { flag: "--run-id" }
    );
}

#[test]
fn missing_run_id() {
    for input in [
        "/deploy --run-id",
        "/deploy --run-id=",
        "/deploy --run-id --force",
        "/staging_deploy --run-id --run-id=x",
    ] {
        let e = err(input);
        assert_eq!(e.kind(), &ParseErrorKind::MissingRunId, "{input:?}");
        assert!(e.to_string().contains("--run-id=ID or --run-id ID"), "{e}");
    }
    assert_eq!(err("/deploy --run-id").column(), Some(9));
}

#[test]
fn invalid_run_ids() {
    let e = err("/deploy --run-id=ab/c");
    assert_eq!(e.column(), Some(20));
    assert_eq!(
        e.to_string(),
        "column 20: run id contains '/'; allowed characters: A-Z a-z 0-9 . _ -"
    );
    assert_eq!(err("/deploy --run-id é").column(), Some(18));
    assert_eq!(
        err("/deploy --run-id=é").kind(),
        &ParseErrorKind::InvalidRunIdChar { found: 'é' }
    );

    let longest = "a".repeat(MAX_RUN_ID_LEN);
    assert_eq!(
        parse(&format!("/deploy --run-id={longest}")),
        Ok(deploy(Some(&longest), false))
    );
    let e = err(&format!("/deploy --run-id={longest}b"));
    assert_eq!(e.kind(), &ParseErrorKind::RunIdTooLong { len: 129 });
    assert_eq!(e.column(), Some(18));
    assert!(e.to_string().contains("at most 128"), "{e}");
}

#[test]
fn long_words_are_shortened_in_messages() {
    let e = err(&format!("/{}", "x".repeat(1000)));
    assert!(e.to_string().len() < 200, "{e}");
    assert!(e.to_string().contains('…'));
}

#[test]
fn run_id_validation() {
    assert!(is_valid_run_id("3f1c-9a.b_C"));
    assert!(!is_valid_run_id(""));
    assert!(!is_valid_run_id("a b"));
    assert!(!is_valid_run_id(&"a".repeat(MAX_RUN_ID_LEN + 1)));
}

#[test]
fn comments() {
    assert_eq!(parse_comment("/build"), Some(Ok(ChatCommand::Build)));
    assert_eq!(
        parse_comment("\n  \r\n  /deploy --force\r\nplease ship it"),
        Some(Ok(deploy(None, true)))
    );
    assert_eq!(parse_comment("LGTM\n/deploy"), None);
    assert_eq!(parse_comment(""), None);
    assert_eq!(parse_comment("  \n\n"), None);
    assert_eq!(
        parse_comment("Type: <code>&#47;run</code> to run the compiled pipeline."),
        None
    );
    let e = parse_comment("\n  /build now\n").and_then(Result::err);
    assert_eq!(e.and_then(|e| e.column()), Some(10));
}

#[test]
fn edit_distances() {
    assert_eq!(edit_distance("", ""), 0);
    assert_eq!(edit_distance("abc", ""), 3);
    assert_eq!(edit_distance("/deplyo", "/deploy"), 1);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
}
