//! The production deploy confirmation: always asked, default No. When the PR is behind its
//! base, the operator must type `force` (tui-textarea) to go on; `cancel` (esc) or anything
//! else cancels and nothing is sent. The same dialog asks (staging too) when the engine
//! refused a run built for another PR: the operator must type that PR's number. Keys are the named actions of the key map (`yes`,
//! `confirm`, `cancel`, `left`/`right` and the focus keys to choose a button), read in the
//! confirmation context, or the text-input one while the word is typed.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use ratatui::Frame;
use tui_textarea::TextArea;

use crate::chatops::DeployTarget;
use crate::keys::{Action, Context, KeyMap};
use crate::tui::layout::centered;
use crate::tui::theme::Theme;

/// The word to type to deploy a PR that is behind its base.
pub const FORCE_WORD: &str = "force";

/// An open confirmation.
#[derive(Debug)]
pub struct DeployConfirm {
    /// The PR's project (see [`crate::tui::app::PrId`]).
    pub project: usize,
    pub pr: u64,
    /// How the PR is named: `#41`, or `owner/name#41` with several projects.
    pub label: String,
    pub title: String,
    pub target: DeployTarget,
    /// The run to deploy (`None`: none known; the engine reads the PR's comments).
    pub run_id: Option<String>,
    /// Whether the run was named explicitly (`--run-id`), to pass it on.
    pub explicit_run: bool,
    pub namespace: String,
    /// What the target serves now, in words.
    pub current: String,
    /// Commits the PR is behind its base, as last seen.
    pub behind_by: Option<u64>,
    /// "Yes" is highlighted (the default is No).
    pub yes: bool,
    /// Where the operator types `force` (only used when the PR is behind) or the other PR's
    /// number.
    pub input: TextArea<'static>,
    /// The run was built for this other PR: typing its number deploys it anyway.
    pub other_pr: Option<u64>,
    /// `force` was already confirmed (the first dialog of a deploy asked again for
    /// `other_pr`).
    pub forced: bool,
}

/// What a key did to the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Still open.
    Open,
    Cancelled,
    /// Deploy; `force` when the PR is behind and `force` was typed.
    Confirmed {
        force: bool,
    },
}

impl DeployConfirm {
    pub fn new(pr: u64, title: String, target: DeployTarget, namespace: String) -> DeployConfirm {
        let mut input = TextArea::default();
        input.set_cursor_line_style(ratatui::style::Style::default());
        input.set_placeholder_text(format!("type {FORCE_WORD} to deploy anyway"));
        DeployConfirm {
            project: 0,
            pr,
            label: format!("#{pr}"),
            title,
            target,
            run_id: None,
            explicit_run: false,
            namespace,
            current: "nothing".into(),
            behind_by: None,
            yes: false,
            input,
            other_pr: None,
            forced: false,
        }
    }

    /// Asks again for a deploy the engine refused because `run_id` was built for `other`:
    /// typing `other` confirms it (`forced`: the first answer's `force`).
    pub fn run_of_other_pr(mut self, run_id: String, other: u64, forced: bool) -> DeployConfirm {
        self.run_id = Some(run_id);
        self.explicit_run = true;
        self.other_pr = Some(other);
        self.forced = forced;
        self.input
            .set_placeholder_text(format!("type {other} to deploy #{other}'s run"));
        self
    }

    /// The PR is behind its base: typing `force` is required.
    pub fn needs_force(&self) -> bool {
        self.other_pr.is_none() && self.behind_by.is_some_and(|b| b > 0)
    }

    /// A word must be typed (`force`, or the other PR's number).
    pub fn needs_typing(&self) -> bool {
        self.needs_force() || self.other_pr.is_some()
    }

    /// The word that confirms, when one must be typed.
    fn word(&self) -> Option<String> {
        match self.other_pr {
            Some(other) => Some(other.to_string()),
            None => self.needs_force().then(|| FORCE_WORD.to_string()),
        }
    }

    /// Handles a key, read with the effective bindings.
    pub fn key(&mut self, key: KeyEvent, keys: &KeyMap) -> Outcome {
        if let Some(word) = self.word() {
            return match keys.action_in(Context::TextInput, &key) {
                Some(Action::Confirm) if self.input.lines().join("").trim() == word => {
                    Outcome::Confirmed {
                        force: self.forced || self.needs_force(),
                    }
                }
                // A wrong word, cancel, or quit's ctrl-c: nothing is sent.
                Some(_) => Outcome::Cancelled,
                None if super::edits_line(&key) => {
                    super::edit_line(&mut self.input, key);
                    Outcome::Open
                }
                None => Outcome::Cancelled,
            };
        }
        match keys.action_in(Context::Confirmation, &key) {
            Some(Action::Yes) => Outcome::Confirmed { force: false },
            Some(Action::Left | Action::Right | Action::FocusNext | Action::FocusPrev) => {
                self.yes = !self.yes;
                Outcome::Open
            }
            Some(Action::Confirm) if self.yes => Outcome::Confirmed { force: false },
            // No, cancel, quit, confirm on "No", any other key: default No.
            _ => Outcome::Cancelled,
        }
    }
}

/// Draws the dialog centred on `area`.
pub fn render(frame: &mut Frame, area: Rect, d: &DeployConfirm, keys: &KeyMap, theme: &Theme) {
    let place = match d.target {
        DeployTarget::Production => "PRODUCTION",
        DeployTarget::Staging => "staging",
    };
    let height = if d.needs_typing() { 14 } else { 12 };
    let rect = centered(area, 78, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(if d.needs_typing() {
            theme.error
        } else {
            theme.border_focused
        })
        .title(Span::styled(format!(" Deploy to {place}? "), theme.title));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let field = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<12}"), theme.dim),
            Span::raw(v),
        ])
    };
    let mut lines = vec![
        field("PR", format!("{} {}", d.label, d.title)),
        field(
            "run",
            d.run_id
                .clone()
                .unwrap_or_else(|| "the PR's last run (from its comments)".into()),
        ),
        field(
            "target",
            format!("{} (namespace {})", place.to_lowercase(), d.namespace),
        ),
        field("serving now", d.current.clone()),
        Line::raw(""),
    ];
    if let Some(other) = d.other_pr {
        lines.push(Line::from(Span::styled(
            format!("⚠ This run was built for #{other}, not {}.", d.label),
            theme.error,
        )));
        lines.push(Line::from(Span::styled(
            keys.fill(&format!(
                "Type {other} and {{confirm}} to deploy #{other}'s model anyway; {{cancel}} or \
                 anything else cancels."
            )),
            theme.warn,
        )));
    } else if d.needs_force() {
        let behind = d.behind_by.unwrap_or_default();
        lines.push(Line::from(Span::styled(
            format!("⚠ #{} is {behind} commit(s) behind its base branch.", d.pr),
            theme.error,
        )));
        lines.push(Line::from(Span::styled(
            keys.fill(&format!(
                "Type {FORCE_WORD} and {{confirm}} to deploy anyway; {{cancel}} or anything else \
                 cancels."
            )),
            theme.warn,
        )));
    } else {
        lines.push(Line::from(Span::styled(
            "A production deploy merges the PR into its base branch and closes it.",
            theme.warn,
        )));
        let (no, yes) = if d.yes {
            (theme.dim, theme.selected)
        } else {
            (theme.selected, theme.dim)
        };
        lines.push(Line::from(vec![
            Span::raw("          "),
            Span::styled("[ No ]", no),
            Span::raw("    "),
            Span::styled("[ Yes ]", yes),
        ]));
        // The keys in effect, on a line of their own (remapped keys can be long).
        lines.push(Line::from(Span::styled(
            keys.fill(
                "{yes}: yes · {left}/{right}: choose · {confirm}: press the chosen button · \
                 {cancel}: cancel",
            ),
            theme.dim,
        )));
    }
    let text_height = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    frame.render_widget(
        Paragraph::new(lines),
        Rect::new(
            inner.x + 1,
            inner.y,
            inner.width.saturating_sub(2),
            text_height.min(inner.height),
        ),
    );
    if d.needs_typing() && inner.height > text_height + 1 {
        let input = Rect::new(
            inner.x + 1,
            inner.y + text_height + 1,
            30.min(inner.width.saturating_sub(2)),
            1,
        );
        frame.render_widget(&d.input, input);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn dialog(behind: u64) -> DeployConfirm {
        let mut d = DeployConfirm::new(
            42,
            "t".into(),
            DeployTarget::Production,
            "production".into(),
        );
        d.behind_by = Some(behind);
        d
    }

    /// Every dialog key moved: yes = o, no = x, confirm = ctrl-o, cancel = ctrl-g, and the
    /// buttons chosen with left/right = ctrl-a/ctrl-e.
    fn remapped() -> KeyMap {
        use crate::keys::testing::{keymap, DIALOGS_MOVED};
        let mut pairs = DIALOGS_MOVED.to_vec();
        pairs.extend([("left", &["ctrl-a"][..]), ("right", &["ctrl-e"][..])]);
        keymap(&pairs)
    }

    #[test]
    fn default_is_no() {
        let keys = KeyMap::default();
        assert_eq!(dialog(0).key(k(KeyCode::Enter), &keys), Outcome::Cancelled);
        let mut d = dialog(0);
        assert_eq!(d.key(k(KeyCode::Right), &keys), Outcome::Open);
        assert_eq!(
            d.key(k(KeyCode::Enter), &keys),
            Outcome::Confirmed { force: false }
        );
        assert_eq!(
            dialog(0).key(k(KeyCode::Char('y')), &keys),
            Outcome::Confirmed { force: false }
        );
        assert_eq!(
            dialog(0).key(k(KeyCode::Char('x')), &keys),
            Outcome::Cancelled,
            "anything else cancels"
        );
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(dialog(0).key(ctrl_c, &keys), Outcome::Cancelled);
    }

    #[test]
    fn behind_requires_typing_force() {
        let keys = KeyMap::default();
        let mut d = dialog(3);
        assert_eq!(
            d.key(k(KeyCode::Char('y')), &keys),
            Outcome::Open,
            "y is just a letter here"
        );
        let mut d = dialog(3);
        for c in "force".chars() {
            assert_eq!(d.key(k(KeyCode::Char(c)), &keys), Outcome::Open);
        }
        assert_eq!(
            d.key(k(KeyCode::Enter), &keys),
            Outcome::Confirmed { force: true }
        );
        let mut d = dialog(3);
        for c in "forc".chars() {
            d.key(k(KeyCode::Char(c)), &keys);
        }
        assert_eq!(d.key(k(KeyCode::Enter), &keys), Outcome::Cancelled);
        let mut d = dialog(3);
        d.key(k(KeyCode::Char('f')), &keys);
        assert_eq!(d.key(k(KeyCode::Esc), &keys), Outcome::Cancelled);
        assert_eq!(dialog(3).key(k(KeyCode::Tab), &keys), Outcome::Cancelled);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(dialog(3).key(ctrl_c, &keys), Outcome::Cancelled);
    }

    #[test]
    fn a_run_of_another_pr_needs_that_pr_typed_and_force_is_not_enough() {
        let keys = KeyMap::default();
        let other = |forced| dialog(3).run_of_other_pr("r-41".into(), 41, forced);
        let mut d = other(true);
        assert!(d.needs_typing() && !d.needs_force());
        for c in "force".chars() {
            assert_eq!(d.key(k(KeyCode::Char(c)), &keys), Outcome::Open);
        }
        assert_eq!(d.key(k(KeyCode::Enter), &keys), Outcome::Cancelled);
        assert_eq!(
            other(true).key(k(KeyCode::Char('y')), &keys),
            Outcome::Open,
            "y is just a letter"
        );
        let mut d = other(true);
        for c in "41".chars() {
            d.key(k(KeyCode::Char(c)), &keys);
        }
        assert_eq!(
            d.key(k(KeyCode::Enter), &keys),
            Outcome::Confirmed { force: true },
            "the first answer's force is kept"
        );
        let mut d = other(false);
        for c in "41".chars() {
            d.key(k(KeyCode::Char(c)), &keys);
        }
        assert_eq!(
            d.key(k(KeyCode::Enter), &keys),
            Outcome::Confirmed { force: false }
        );
        assert_eq!(other(false).key(k(KeyCode::Esc), &keys), Outcome::Cancelled);
    }

    #[test]
    fn remapped_keys_answer_and_the_old_ones_no_longer_do() {
        let keys = remapped();
        // y and enter are no longer yes / confirm: y is any other key (No).
        assert_eq!(
            dialog(0).key(k(KeyCode::Char('y')), &keys),
            Outcome::Cancelled
        );
        assert_eq!(
            dialog(0).key(k(KeyCode::Char('o')), &keys),
            Outcome::Confirmed { force: false }
        );
        // Choose Yes with the remapped right key, then the remapped confirm presses it.
        let ctrl_e = KeyEvent::new(KeyCode::Char('e'), KeyModifiers::CONTROL);
        let mut d = dialog(0);
        assert_eq!(d.key(ctrl_e, &keys), Outcome::Open);
        assert!(d.yes);
        assert_eq!(
            d.key(k(KeyCode::Enter), &keys),
            Outcome::Cancelled,
            "enter is unbound"
        );
        assert_eq!(
            dialog(0).key(k(KeyCode::Right), &keys),
            Outcome::Cancelled,
            "→ too"
        );
        let mut d = dialog(0);
        d.key(ctrl_e, &keys);
        let ctrl_o = KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL);
        assert_eq!(d.key(ctrl_o, &keys), Outcome::Confirmed { force: false });
        // The remapped confirm on the default button is No.
        assert_eq!(dialog(0).key(ctrl_o, &keys), Outcome::Cancelled);
        // The force word: o (yes) is a letter of it, ctrl-o checks it.
        let mut d = dialog(2);
        for c in "force".chars() {
            assert_eq!(d.key(k(KeyCode::Char(c)), &keys), Outcome::Open);
        }
        assert_eq!(d.input.lines(), ["force"]);
        assert_eq!(d.key(ctrl_o, &keys), Outcome::Confirmed { force: true });
        let mut d = dialog(2);
        for c in "force".chars() {
            d.key(k(KeyCode::Char(c)), &keys);
        }
        assert_eq!(
            d.key(k(KeyCode::Enter), &keys),
            Outcome::Cancelled,
            "enter is unbound here: any other key cancels"
        );
        let mut d = dialog(2);
        d.key(k(KeyCode::Char('o')), &keys);
        assert_eq!(d.key(ctrl_o, &keys), Outcome::Cancelled, "wrong word");
        let ctrl_g = KeyEvent::new(KeyCode::Char('g'), KeyModifiers::CONTROL);
        assert_eq!(dialog(2).key(ctrl_g, &keys), Outcome::Cancelled);
        assert_eq!(dialog(0).key(ctrl_g, &keys), Outcome::Cancelled);
    }
}
