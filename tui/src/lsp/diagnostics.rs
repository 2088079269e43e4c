//! Reading a view's diagnostics: the one under the caret, counts by
//! severity, the next one after a position, the worst one on a line.

use symphony_protocol::xi::lsp::{Diagnostic, Severity};

/// Sorts diagnostics by position, worst first at equal positions.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        (a.line, a.col, a.severity, a.end_line, a.end_col)
            .cmp(&(b.line, b.col, b.severity, b.end_line, b.end_col))
    });
}

/// Whether `d` covers (line, byte col); an empty range covers its position.
pub fn covers(d: &Diagnostic, line: usize, col: usize) -> bool {
    let start = (d.line, d.col);
    let end = (d.end_line, d.end_col);
    let at = (line, col);
    if start >= end {
        return at == start;
    }
    start <= at && at <= end
}

/// The most serious diagnostic under the caret, else the first on its line.
pub fn at_caret(diags: &[Diagnostic], caret: (usize, usize)) -> Option<&Diagnostic> {
    diags
        .iter()
        .filter(|d| covers(d, caret.0, caret.1))
        .min_by_key(|d| d.severity)
        .or_else(|| {
            diags
                .iter()
                .filter(|d| d.line <= caret.0 && caret.0 <= d.end_line.max(d.line))
                .min_by_key(|d| d.severity)
        })
}

/// The most serious severity among the diagnostics starting on `line`.
pub fn worst_on_line(diags: &[Diagnostic], line: usize) -> Option<Severity> {
    diags
        .iter()
        .filter(|d| d.line == line)
        .map(|d| d.severity)
        .min()
}

/// How many errors and warnings (information and hints not counted).
pub fn counts(diags: &[Diagnostic]) -> (usize, usize) {
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    (errors, warnings)
}

/// The next diagnostic after `from` (or the previous one before it), wrapping around.
pub fn next_from(diags: &[Diagnostic], from: (usize, usize), forward: bool) -> Option<&Diagnostic> {
    let pos = |d: &Diagnostic| (d.line, d.col);
    if forward {
        diags
            .iter()
            .find(|d| pos(d) > from)
            .or_else(|| diags.first())
    } else {
        diags
            .iter()
            .rev()
            .find(|d| pos(d) < from)
            .or_else(|| diags.last())
    }
}

/// A one-letter name of a severity (`E`, `W`, `I`, `H`).
pub fn letter(s: Severity) -> char {
    match s {
        Severity::Error => 'E',
        Severity::Warning => 'W',
        Severity::Information => 'I',
        Severity::Hint => 'H',
    }
}

/// A diagnostic's message with its source and code, on one line.
pub fn describe(d: &Diagnostic) -> String {
    let mut s = d.message.replace('\n', " ");
    match (&d.source, &d.code) {
        (Some(src), Some(code)) => s.push_str(&format!(" [{src} {code}]")),
        (Some(src), None) => s.push_str(&format!(" [{src}]")),
        (None, Some(code)) => s.push_str(&format!(" [{code}]")),
        (None, None) => {}
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(line: usize, col: usize, end_col: usize, severity: Severity) -> Diagnostic {
        Diagnostic {
            line,
            col,
            end_line: line,
            end_col,
            severity,
            message: format!("at {line}:{col}"),
            source: None,
            code: None,
        }
    }

    #[test]
    fn under_the_caret_the_worst_wins_and_next_wraps() {
        let mut all = vec![
            d(3, 0, 4, Severity::Warning),
            d(1, 2, 5, Severity::Warning),
            d(1, 4, 6, Severity::Error),
        ];
        sort(&mut all);
        assert_eq!(at_caret(&all, (1, 4)).map(|d| d.col), Some(4));
        assert_eq!(at_caret(&all, (1, 2)).map(|d| d.col), Some(2));
        // Elsewhere on the line: the line's worst.
        assert_eq!(
            at_caret(&all, (1, 9)).map(|d| d.severity),
            Some(Severity::Error)
        );
        assert!(at_caret(&all, (2, 0)).is_none());
        assert_eq!(counts(&all), (1, 2));
        assert_eq!(worst_on_line(&all, 1), Some(Severity::Error));
        assert_eq!(next_from(&all, (1, 4), true).map(|d| d.line), Some(3));
        assert_eq!(next_from(&all, (3, 0), true).map(|d| d.col), Some(2));
        assert_eq!(next_from(&all, (1, 2), false).map(|d| d.line), Some(3));
    }
}
