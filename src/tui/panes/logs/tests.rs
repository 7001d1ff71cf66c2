//! The logs pane's state: streams and builds, scroll windows.

use chrono::{TimeZone, Utc};

use super::*;

fn pod(name: &str) -> PodRef {
    PodRef {
        namespace: "kfops".into(),
        name: name.into(),
        container: None,
    }
}

fn lines(n: usize, prefix: &str) -> Vec<LogLine> {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
    (0..n)
        .map(|i| LogLine {
            time: Some(t0 + chrono::Duration::milliseconds(i as i64 * 10)),
            text: format!("{prefix}{i}"),
        })
        .collect()
}

const VP: Viewport = Viewport {
    width: 40,
    height: 10,
};

#[test]
fn streams_open_once_and_a_new_build_is_shown() {
    let mut pane = LogsPane::new(1000);
    assert!(!pane.has_streams());
    assert!(pane.open_stream(pod("b1-trainer"), "trainer".into(), "b1".into()));
    assert!(!pane.open_stream(pod("b1-trainer"), "trainer".into(), "b1".into()));
    assert!(pane.open_stream(pod("b1-server"), "server".into(), "b1".into()));
    assert_eq!(pane.shown_group(), Some("b1"));
    assert!(pane.open_stream(pod("b2-trainer"), "trainer".into(), "b2".into()));
    assert_eq!(pane.shown_group(), Some("b2"), "the new build is shown");
    assert_eq!(pane.groups(), ["b1", "b2"]);
    assert_eq!(pane.shown_streams().len(), 1);
    assert!(pane.show_group("b1"));
    assert!(!pane.show_group("nope"));
    assert_eq!(pane.shown_streams().len(), 2);

    pane.set_phase(&pod("b1-server"), "Failed");
    pane.set_status(&pod("b1-server"), StreamStatus::Finished);
    let s = pane.stream(&pod("b1-server")).unwrap();
    assert_eq!(s.phase.as_deref(), Some("Failed"));
    assert_eq!(s.status, StreamStatus::Finished);

    assert_eq!(pane.append(&pod("b1-trainer"), lines(3, "t")), 3);
    assert_eq!(pane.append(&pod("unknown"), lines(3, "x")), 0);
    let removed = pane.clear_group("b1");
    assert_eq!(removed, [pod("b1-trainer"), pod("b1-server")]);
    assert_eq!(
        pane.shown_group(),
        Some("b2"),
        "the remaining build is shown"
    );
    assert_eq!(pane.store.total_lines(), 0);
    assert_eq!(pane.groups(), ["b2"]);
}

#[test]
fn grid_scrolling_pauses_and_reaching_the_end_follows_again() {
    let mut pane = LogsPane::new(1000);
    pane.open_stream(pod("p"), "trainer".into(), "b".into());
    pane.append(&pod("p"), lines(100, "l"));
    assert!(pane.is_following());
    assert_eq!(pane.top_of(0, VP), 90);
    pane.scroll_up(1, VP);
    assert!(!pane.is_following());
    assert_eq!(pane.top_of(0, VP), 89);
    // New lines do not move a paused view.
    pane.append(&pod("p"), lines(5, "m"));
    assert_eq!(pane.top_of(0, VP), 89);
    pane.scroll_down(3, VP);
    assert_eq!(pane.top_of(0, VP), 92);
    pane.scroll_down(100, VP);
    assert!(pane.is_following(), "scrolling to the end follows again");
    pane.scroll_to_top();
    assert_eq!(pane.top_of(0, VP), 0);
    pane.toggle_follow(VP);
    assert!(pane.is_following());
    pane.toggle_follow(VP);
    assert_eq!(pane.top_of(0, VP), 95, "paused where the view was");
}

#[test]
fn wrapped_lines_take_several_rows_when_following() {
    let mut pane = LogsPane::new(1000);
    pane.open_stream(pod("p"), "trainer".into(), "b".into());
    let mut long = lines(20, "short");
    long.push(LogLine {
        time: None,
        text: "x".repeat(95), // 3 rows at 40 columns
    });
    pane.append(&pod("p"), long);
    assert_eq!(pane.top_of(0, VP), 11);
    pane.wrap = true;
    assert_eq!(pane.top_of(0, VP), 13);
    pane.timestamps = true; // 13 columns less: 95 / 27 → 4 rows
    assert_eq!(pane.top_of(0, VP), 14);
}

#[test]
fn merged_scrolling_walks_the_merged_order() {
    let mut pane = LogsPane::new(1000);
    pane.layout = LogLayout::Merged;
    pane.open_stream(pod("a"), "trainer".into(), "b".into());
    pane.open_stream(pod("b"), "server".into(), "b".into());
    pane.append(&pod("a"), lines(30, "a"));
    pane.append(&pod("b"), lines(30, "b"));
    let text = |pane: &LogsPane| {
        let p = pane.merged_top(VP).unwrap();
        pane.store.get(p.stream, p.index).unwrap().text.to_string()
    };
    // 60 lines, 10 on screen: the last 10 are a25 b25 … a29 b29.
    assert_eq!(text(&pane), "a25");
    pane.scroll_up(3, VP);
    assert!(!pane.is_following());
    assert_eq!(text(&pane), "b23");
    pane.scroll_down(1, VP);
    assert_eq!(text(&pane), "a24");
    pane.scroll_down(5, VP);
    assert!(pane.is_following());
    pane.scroll_to_top();
    assert_eq!(text(&pane), "a0");
}

#[test]
fn stream_selection_wraps_around() {
    let mut pane = LogsPane::new(1000);
    for n in ["a", "b", "c"] {
        pane.open_stream(pod(n), n.into(), "g".into());
    }
    pane.select_stream(-1);
    assert_eq!(pane.selected, 2);
    pane.select_stream(1);
    assert_eq!(pane.selected, 0);
    // Scrolling acts on the selected stream only.
    pane.append(&pod("b"), lines(50, "b"));
    pane.select_stream(1);
    pane.scroll_up(1, VP);
    assert!(pane.streams[1].scroll.is_paused());
    assert!(!pane.streams[0].scroll.is_paused());
}

mod filter {
    use super::*;
    use crate::logs::{ansi, merge, search::Search};
    use proptest::prelude::*;

    fn stream_lines(texts: &[(u8, String)], step: i64) -> Vec<LogLine> {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap();
        let mut ms = 0;
        texts
            .iter()
            .map(|(gap, text)| {
                ms += i64::from(*gap) * step;
                LogLine {
                    time: Some(t0 + chrono::Duration::milliseconds(ms)),
                    text: text.clone(),
                }
            })
            .collect()
    }

    proptest! {
        /// In filter mode the lines shown, scrolled from the top one line at a time, are
        /// exactly the matching lines in merged order; each grid cell shows its own matches.
        #[test]
        fn filtered_views_show_exactly_the_matches_in_order(
            a in proptest::collection::vec((0u8..3, "[ab x\u{1b}\\[1m]{0,6}"), 0..40),
            b in proptest::collection::vec((0u8..3, "[ab x]{0,6}"), 0..40),
            pattern in prop::sample::select(vec!["a", "b", "ab", "^x", "b$"]),
            cap in 20usize..100,
            height in 1usize..6,
        ) {
            let mut pane = LogsPane::new(cap);
            pane.open_stream(pod("a"), "a".into(), "g".into());
            pane.open_stream(pod("b"), "b".into(), "g".into());
            pane.set_search(Some(Search::new(pattern).unwrap()));
            pane.append(&pod("a"), stream_lines(&a, 7));
            pane.append(&pod("b"), stream_lines(&b, 5));
            pane.search.as_mut().unwrap().filter = true;
            let regex = crate::logs::search::compile(pattern).unwrap();
            let ids = pane.shown_ids();
            let want: Vec<MergedPos> = merge::forward(&pane.store, &ids, None, usize::MAX)
                .into_iter()
                .filter(|p| {
                    let text = pane.store.get(p.stream, p.index).unwrap().text;
                    regex.is_match(&ansi::search_text(text))
                })
                .collect();
            prop_assert_eq!(&pane.merged_forward(None, usize::MAX), &want);
            // Scrolling down from the top visits every match once, in order.
            pane.layout = LogLayout::Merged;
            let vp = Viewport { width: 40, height };
            pane.scroll_to_top();
            let mut seen = Vec::new();
            while pane.merged.is_paused() {
                let window = pane.merged_window(vp);
                prop_assert!(window.iter().all(|p| want.contains(p)));
                seen.push(window[0]);
                pane.scroll_down(1, vp);
            }
            // Following: the last screenful of matches.
            let tail = pane.merged_window(vp);
            let start = want.len().saturating_sub(height);
            prop_assert_eq!(&tail, &want[start..].to_vec());
            let new: Vec<MergedPos> = tail.iter().filter(|p| !seen.contains(p)).copied().collect();
            seen.extend(new);
            prop_assert_eq!(&seen, &want);
            // And back up one line at a time.
            pane.scroll_up(0, vp);
            let mut back = vec![pane.merged_window(vp).first().copied()];
            for _ in 0..want.len() {
                pane.scroll_up(1, vp);
                back.push(pane.merged_window(vp).first().copied());
            }
            back.dedup();
            back.reverse();
            if !want.is_empty() {
                let firsts: Vec<Option<MergedPos>> =
                    want[..=start].iter().map(|p| Some(*p)).collect();
                prop_assert_eq!(back, firsts);
            }
            // Grid: every cell shows its stream's matches, and only those.
            pane.layout = LogLayout::Grid;
            for (i, id) in ids.iter().enumerate() {
                let mine: Vec<u64> = want.iter().filter(|p| p.stream == *id).map(|p| p.index).collect();
                let shown: Vec<u64> = pane.lines_of(i).after(0).collect();
                prop_assert_eq!(&shown, &mine);
                let follow = pane.grid_window(i, vp);
                prop_assert_eq!(&follow[..], &mine[mine.len().saturating_sub(height)..]);
            }
        }
    }
}
