//! Tests of highlighting: styles of a real Rust snippet, incremental work after
//! edits, theme switches, the worker's coalescing.

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use symphony_protocol::xi::StyleDef;
use xi_rope::Rope;

use super::cache::{BufferCache, RunStats};
use super::*;

fn highlighting() -> Arc<Highlighting> {
    static H: OnceLock<Arc<Highlighting>> = OnceLock::new();
    let themes = Path::new(env!("CARGO_MANIFEST_DIR")).join("../themes");
    Arc::clone(H.get_or_init(|| Arc::new(Highlighting::load(Some(&themes)))))
}

fn job(
    text: &Rope,
    rev: u64,
    edit: Option<LineEdit>,
    want: std::ops::Range<usize>,
    theme: &str,
) -> HighlightJob {
    HighlightJob {
        buffer: 1,
        rev,
        text: text.clone(),
        language: "Rust".into(),
        theme: theme.into(),
        edit,
        want_lines: want,
    }
}

/// Runs a job synchronously; returns the stats and the results.
fn run(
    cache: &mut BufferCache,
    reg: &mut StyleRegistry,
    j: &HighlightJob,
) -> (RunStats, Vec<HighlightResult>) {
    let mut out = Vec::new();
    let stats = cache.run(&highlighting(), reg, j, &mut |r| out.push(r), &|| false);
    (stats, out)
}

fn triples(spans: &[StyleSpan]) -> Vec<(usize, usize, u64)> {
    spans.iter().map(|s| (s.start, s.len, s.style_id)).collect()
}

fn rust_file(lines: usize) -> String {
    let mut s = String::from("fn main() {\n");
    for i in 1..lines - 1 {
        s.push_str(&format!("    let x{i} = {i}; // note\n"));
    }
    s.push_str("}\n");
    s
}

#[test]
fn catalog_lists_languages_themes_and_detects() {
    let h = highlighting();
    let langs = h.languages();
    assert!(langs.contains(&"Rust".to_string()) && langs.contains(&PLAIN_TEXT.to_string()));
    let themes = h.themes();
    for t in [
        "InspiredGitHub",
        "Solarized (dark)",
        "symphony-dark",
        "symphony-light",
    ] {
        assert!(
            themes.contains(&t.to_string()),
            "{t} missing from {themes:?}"
        );
    }
    assert_eq!(h.language_for(Some(Path::new("/a/b/main.rs")), ""), "Rust");
    assert_eq!(h.language_for(Some(Path::new("Makefile")), ""), "Makefile");
    assert_eq!(
        h.language_for(Some(Path::new("script")), "#!/bin/bash\n"),
        "Bourne Again Shell (bash)"
    );
    assert_eq!(h.language_for(None, "hello"), PLAIN_TEXT);
    assert_eq!(h.language_for(Some(Path::new("notes.txt")), ""), PLAIN_TEXT);
}

#[test]
fn built_in_themes_exist_without_a_themes_dir_and_extra_dirs_add_themes() {
    let h = Highlighting::load(None);
    assert!(h.themes().contains(&"symphony-dark".to_string()));
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../themes/symphony-light.tmTheme");
    std::fs::copy(src, dir.path().join("My Theme.tmTheme")).unwrap();
    std::fs::write(dir.path().join("broken.tmTheme"), "not a plist").unwrap();
    let h = Highlighting::load(Some(dir.path()));
    assert!(h.themes().contains(&"My Theme".to_string()));
    assert!(!h.themes().contains(&"broken".to_string()));
}

#[test]
fn theme_settings_match_upstream_transcript() {
    let h = highlighting();
    let got = serde_json::to_value(h.theme_settings("Solarized (dark)").unwrap()).unwrap();
    // The `theme` object of `theme_changed` in xi-transcripts/transcript-syntect.txt.
    let upstream: serde_json::Value = serde_json::from_str(SOLARIZED_DARK_UPSTREAM).unwrap();
    assert_eq!(got, upstream);
    assert!(
        h.theme_settings("symphony-light")
            .unwrap()
            .background
            .is_some()
    );
    assert!(h.theme_settings("no such theme").is_none());
}

const SOLARIZED_DARK_UPSTREAM: &str = r#"{"accent":null,"active_guide":null,"background":{"a":255,"b":54,"g":43,"r":0},"bracket_contents_foreground":null,"bracket_contents_options":null,"brackets_background":null,"brackets_foreground":null,"brackets_options":null,"caret":{"a":255,"b":213,"g":232,"r":238},"find_highlight":null,"find_highlight_foreground":null,"foreground":{"a":255,"b":150,"g":148,"r":131},"guide":null,"gutter":{"a":255,"b":66,"g":54,"r":7},"gutter_foreground":null,"highlight":null,"highlight_foreground":null,"inactive_selection":null,"inactive_selection_foreground":null,"line_highlight":{"a":18,"b":255,"g":209,"r":28},"minimap_border":null,"misspelling":{"a":255,"b":47,"g":50,"r":220},"phantom_css":null,"popup_css":null,"selection":{"a":255,"b":85,"g":76,"r":44},"selection_background":null,"selection_border":{"a":255,"b":117,"g":110,"r":88},"selection_foreground":null,"shadow":null,"stack_guide":null,"tags_foreground":null,"tags_options":null}"#;

#[test]
fn rust_snippet_gets_upstream_styles() {
    // The very lines and styles of xi-transcripts/transcript-syntect.txt.
    let text = Rope::from("fn main() {\n    let x = 42; // answer\n}\n");
    let mut reg = StyleRegistry::new();
    let (_, out) = run(
        &mut BufferCache::default(),
        &mut reg,
        &job(&text, 1, None, 0..50, "Solarized (dark)"),
    );
    let lines: Vec<_> = out
        .iter()
        .flat_map(|r| r.lines.iter())
        .map(|l| triples(l))
        .collect();
    assert_eq!(
        lines,
        vec![
            vec![
                (0, 2, 8),
                (2, 1, 9),
                (3, 4, 10),
                (7, 2, 11),
                (9, 1, 9),
                (10, 1, 11),
                (11, 1, 9)
            ],
            vec![
                (0, 4, 9),
                (4, 3, 8),
                (7, 3, 9),
                (10, 1, 12),
                (11, 1, 9),
                (12, 2, 13),
                (14, 2, 9),
                (16, 10, 14)
            ],
            vec![(0, 1, 11), (1, 1, 9)],
        ]
    );
    let defs: Vec<StyleDef> = out.iter().flat_map(|r| r.new_styles.clone()).collect();
    let fg: Vec<(u64, Option<u32>)> = defs.iter().map(|d| (d.id, d.fg_color)).collect();
    assert_eq!(
        fg,
        vec![
            (8, Some(4280716242)),
            (9, Some(4286813334)),
            (10, Some(4290087168)),
            (11, Some(4284840835)),
            (12, Some(4286945536)),
            (13, Some(4285297092)),
            (14, Some(4283985525)),
        ]
    );
    assert!(
        defs.iter()
            .all(|d| d.bg_color.is_none() && d.weight.is_none())
    );
    assert!(out.last().unwrap().complete);
}

#[test]
fn an_edit_rehighlights_only_until_the_state_converges() {
    let mut text = Rope::from(rust_file(200));
    let mut cache = BufferCache::default();
    let mut reg = StyleRegistry::new();
    let (first, _) = run(
        &mut cache,
        &mut reg,
        &job(&text, 1, None, 0..200, "Solarized (dark)"),
    );
    assert_eq!(first.lines, 200);

    // Change line 5 without changing the line count.
    let start = text.offset_of_line(5);
    text.edit(start + 4..start + 7, "let y5 ");
    let edit = LineEdit {
        first_line: 5,
        old_lines: 1,
        new_lines: 1,
    };
    let (stats, out) = run(
        &mut cache,
        &mut reg,
        &job(&text, 2, Some(edit), 0..50, "Solarized (dark)"),
    );
    assert_eq!(stats.first, 5);
    assert!(stats.lines <= 3, "re-highlighted {} lines", stats.lines);
    assert_eq!(out[0].start_line, 5);

    // Press Enter in line 7: one line becomes two.
    let at = text.offset_of_line(7) + 8;
    text.edit(at..at, "\n");
    let edit = LineEdit {
        first_line: 7,
        old_lines: 1,
        new_lines: 2,
    };
    let (stats, _) = run(
        &mut cache,
        &mut reg,
        &job(&text, 3, Some(edit), 0..50, "Solarized (dark)"),
    );
    assert!(stats.lines <= 4, "re-highlighted {} lines", stats.lines);

    // Scrolling over already highlighted lines costs nothing.
    let (stats, out) = run(
        &mut cache,
        &mut reg,
        &job(
            &text,
            3,
            Some(LineEdit::UNCHANGED),
            100..150,
            "Solarized (dark)",
        ),
    );
    assert_eq!(stats.lines, 0);
    assert!(out.is_empty());
}

#[test]
fn each_key_typed_into_a_line_in_view_restyles_that_line_only() {
    let mut text = Rope::from(rust_file(2000));
    let mut cache = BufferCache::default();
    let mut reg = StyleRegistry::new();
    let theme = "Solarized (dark)";
    run(&mut cache, &mut reg, &job(&text, 1, None, 0..40, theme));
    let edit = LineEdit {
        first_line: 20,
        old_lines: 1,
        new_lines: 1,
    };
    // Code typed into the line one key at a time (before its `let`), growing it to 200+
    // characters: keywords, identifiers, numbers, operators (an unclosed bracket would
    // rightly restyle the lines after it).
    for (i, c) in "let s = x + 1 * y - 2.5; "
        .chars()
        .cycle()
        .take(200)
        .enumerate()
    {
        let at = text.offset_of_line(20) + 4 + i;
        text.edit(at..at, c.to_string());
        let rev = 2 + i as u64;
        let (stats, out) = run(
            &mut cache,
            &mut reg,
            &job(&text, rev, Some(edit), 0..40, theme),
        );
        assert_eq!(
            (stats.first, stats.lines),
            (20, 1),
            "key {i} ({c:?}) restyled more than its line"
        );
        assert_eq!(
            (out.len(), out[0].start_line, out[0].lines.len()),
            (1, 20, 1)
        );
    }
}

#[test]
fn opening_a_block_comment_rehighlights_to_the_end() {
    let mut text = Rope::from(rust_file(200));
    let mut cache = BufferCache::default();
    let mut reg = StyleRegistry::new();
    let (_, before) = run(
        &mut cache,
        &mut reg,
        &job(&text, 1, None, 0..200, "Solarized (dark)"),
    );
    let at = text.offset_of_line(5);
    text.edit(at..at, "/* ");
    let edit = LineEdit {
        first_line: 5,
        old_lines: 1,
        new_lines: 1,
    };
    let (stats, after) = run(
        &mut cache,
        &mut reg,
        &job(&text, 2, Some(edit), 0..50, "Solarized (dark)"),
    );
    assert_eq!(stats.first, 5);
    assert_eq!(
        stats.lines, 195,
        "every line after the opening comment changes"
    );
    // Line 150 is all comment now: a single span of one style, unlike before.
    let line = |results: &[HighlightResult], n: usize| {
        results
            .iter()
            .find_map(|r| r.lines.get(n.checked_sub(r.start_line)?).cloned())
            .unwrap()
    };
    assert!(line(&before, 150).len() > 1);
    assert_eq!(line(&after, 150).len(), 1);

    // Closing it again converges right after the comment.
    let at = text.offset_of_line(6);
    text.edit(at..at, "*/ ");
    let edit = LineEdit {
        first_line: 6,
        old_lines: 1,
        new_lines: 1,
    };
    let (stats, _) = run(
        &mut cache,
        &mut reg,
        &job(&text, 3, Some(edit), 0..50, "Solarized (dark)"),
    );
    assert_eq!(
        stats.lines, 194,
        "the old states were the commented ones: all lines change back"
    );
    let (stats, _) = run(
        &mut cache,
        &mut reg,
        &job(
            &text,
            4,
            Some(LineEdit {
                first_line: 10,
                old_lines: 1,
                new_lines: 1,
            }),
            0..50,
            "Solarized (dark)",
        ),
    );
    assert!(stats.lines <= 3);
}

#[test]
fn a_theme_switch_restyles_every_highlighted_line() {
    let text = Rope::from(rust_file(120));
    let mut cache = BufferCache::default();
    let mut reg = StyleRegistry::new();
    let (_, dark) = run(
        &mut cache,
        &mut reg,
        &job(&text, 1, None, 0..120, "symphony-dark"),
    );
    let (stats, light) = run(
        &mut cache,
        &mut reg,
        &job(&text, 1, Some(LineEdit::UNCHANGED), 0..30, "symphony-light"),
    );
    assert_eq!(
        stats.lines, 120,
        "lines beyond the visible ones were styled too: redo them"
    );
    let ids = |rs: &[HighlightResult]| -> std::collections::BTreeSet<u64> {
        rs.iter()
            .flat_map(|r| r.lines.iter().flatten().map(|s| s.style_id))
            .collect()
    };
    assert!(
        ids(&dark).is_disjoint(&ids(&light)),
        "the two themes share no colour"
    );
    let bg = light
        .iter()
        .flat_map(|r| r.new_styles.iter())
        .all(|d| d.fg_color.is_some());
    assert!(bg);
}

#[test]
fn plain_text_produces_nothing() {
    let text = Rope::from("just some words\nand more\n");
    let mut cache = BufferCache::default();
    let mut reg = StyleRegistry::new();
    let mut j = job(&text, 1, None, 0..10, "symphony-dark");
    j.language = PLAIN_TEXT.into();
    let (stats, out) = run(&mut cache, &mut reg, &j);
    assert_eq!(stats.lines, 0);
    assert!(out.is_empty());
}

#[test]
fn the_service_coalesces_and_ends_on_the_latest_revision() {
    let (service, mut rx) = HighlightService::spawn(highlighting());
    let mut text = Rope::from(rust_file(3000));
    service.request(job(&text, 0, None, 0..3000, "symphony-dark"));
    for rev in 1..=40u64 {
        let at = text.offset_of_line(10);
        text.edit(at..at, "x");
        service.request(job(
            &text,
            rev,
            Some(LineEdit {
                first_line: 10,
                old_lines: 1,
                new_lines: 1,
            }),
            0..40,
            "symphony-dark",
        ));
    }
    let mut seen = Vec::new();
    let last = loop {
        let r = rx.blocking_recv().unwrap();
        seen.push(r.rev);
        if r.complete && r.rev == 40 {
            break r;
        }
    };
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "results in revision order"
    );
    assert!(last.start_line <= 10);
    // A forgotten buffer's jobs are dropped.
    service.forget(1);
    drop(service);
    std::thread::sleep(Duration::from_millis(10));
    while let Ok(r) = rx.try_recv() {
        assert!(r.rev <= 40);
    }
}

#[test]
fn huge_lines_stay_unstyled_without_stalling_the_rest() {
    let long = format!("let data = \"{}\";\n", "x".repeat(40_000));
    let text = Rope::from(format!("fn main() {{\n{long}    let y = 1;\n}}\n"));
    let mut reg = StyleRegistry::new();
    let (stats, out) = run(
        &mut BufferCache::default(),
        &mut reg,
        &job(&text, 1, None, 0..10, "symphony-dark"),
    );
    assert_eq!(stats.lines, 4);
    let lines: Vec<_> = out.iter().flat_map(|r| r.lines.iter()).collect();
    assert!(lines[1].is_empty(), "the 40 KB line is left unstyled");
    assert!(lines[2].len() > 1, "the next line is still highlighted");
}

mod incremental {
    //! Random edits: incremental highlighting, with results arriving one edit
    //! late, must leave exactly the styles a from-scratch run gives.

    use super::*;
    use proptest::prelude::*;

    const SNIPPETS: &[&str] = &[
        "/*",
        "*/",
        "\"",
        "\n",
        "fn f() {",
        "}",
        "// c",
        "let a = 1;",
        "'",
        "r#\"",
        "\n\n",
    ];

    fn line_edit(old: &Rope, new: &Rope, start: usize, end: usize, inserted: usize) -> LineEdit {
        let first = old.line_of_offset(start);
        LineEdit {
            first_line: first,
            old_lines: old.line_of_offset(end) - first + 1,
            new_lines: new.line_of_offset(start + inserted) - first + 1,
        }
    }

    /// Styles of every line from a fresh cache.
    fn fresh(text: &Rope, reg: &mut StyleRegistry) -> LineStyles {
        let mut styles = LineStyles::new();
        let (_, out) = run(
            &mut BufferCache::default(),
            reg,
            &job(text, 0, None, 0..usize::MAX, "symphony-dark"),
        );
        for r in &out {
            styles.set(r.start_line, r.lines.clone());
        }
        styles
    }

    fn check(edits: Vec<(usize, usize, usize)>, window: usize) -> Result<(), TestCaseError> {
        let full = window >= 1000;
        let mut text = Rope::from(rust_file(30));
        let mut reg = StyleRegistry::new();
        let mut cache = BufferCache::default();
        let mut styles = LineStyles::new();
        let (_, first) = run(
            &mut cache,
            &mut reg,
            &job(&text, 0, None, 0..window, "symphony-dark"),
        );
        let mut late: Vec<HighlightResult> = first;
        for (rev, (pos, del, snippet)) in edits.into_iter().enumerate() {
            let rev = rev as u64 + 1;
            let old = text.clone();
            let start = pos % (old.len() + 1);
            let end = (start + del % 4).min(old.len());
            let snippet = SNIPPETS[snippet % SNIPPETS.len()];
            text.edit(start..end, snippet);
            let edit = line_edit(&old, &text, start, end, snippet.len());
            styles.apply_edit(rev, &edit);
            // The previous job's results arrive only now, after this edit.
            for r in late.drain(..) {
                styles.apply_result(&r);
            }
            let first_visible = edit.first_line.saturating_sub(window / 2);
            let (_, out) = run(
                &mut cache,
                &mut reg,
                &job(
                    &text,
                    rev,
                    Some(edit),
                    first_visible..first_visible + window,
                    "symphony-dark",
                ),
            );
            late = out;
        }
        for r in late.drain(..) {
            styles.apply_result(&r);
        }
        let expected = fresh(&text, &mut reg);
        let lines = text.measure::<xi_rope::LinesMetric>() + 1;
        for line in 0..lines {
            match styles.get(line) {
                Some(got) => prop_assert_eq!(Some(got), expected.get(line), "line {}", line),
                // With every line visible, every line must be styled.
                None => prop_assert!(
                    !full || expected.get(line).is_none(),
                    "line {} never styled",
                    line
                ),
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn incremental_equals_from_scratch(edits in prop::collection::vec((0usize..2000, 0usize..8, 0usize..20), 1..8)) {
            check(edits, 1000)?;
        }

        #[test]
        fn no_stale_styles_with_a_small_window(edits in prop::collection::vec((0usize..2000, 0usize..8, 0usize..20), 1..8)) {
            check(edits, 6)?;
        }
    }
}
