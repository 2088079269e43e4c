//! A `MakeWriter` in front of the log file: the same call site writes at most
//! `per_second` lines a second; the lines held back are counted and reported in one
//! "suppressed K similar messages" line when that call site next writes. Every line
//! also passes through an optional redaction hook.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tracing::Metadata;
use tracing::callsite::Identifier;
use tracing_subscriber::fmt::MakeWriter;

/// Rewrites a log line (`None`: keep it as it is).
pub type Redact = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The rate window.
const WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Site {
    since: Instant,
    written: u32,
    suppressed: u64,
}

/// Wraps a `MakeWriter` (the log file) with rate limiting and redaction.
pub struct Limited<M> {
    inner: M,
    per_second: u32,
    redact: Option<Redact>,
    sites: Mutex<HashMap<Identifier, Site>>,
}

impl<M> Limited<M> {
    /// `per_second` lines per call site a second (at least 1).
    pub fn new(inner: M, per_second: u32, redact: Option<Redact>) -> Self {
        Self {
            inner,
            per_second: per_second.max(1),
            redact,
            sites: Mutex::new(HashMap::new()),
        }
    }

    /// Whether an event of `meta` may be written now, and how many were held back
    /// since its last line (to report first).
    fn admit(&self, meta: &Metadata<'_>) -> Option<u64> {
        let mut sites = match self.sites.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        let now = Instant::now();
        let site = sites.entry(meta.callsite()).or_insert(Site {
            since: now,
            written: 0,
            suppressed: 0,
        });
        if now.duration_since(site.since) >= WINDOW {
            site.since = now;
            site.written = 0;
        }
        if site.written >= self.per_second {
            site.suppressed += 1;
            return None;
        }
        site.written += 1;
        Some(std::mem::take(&mut site.suppressed))
    }
}

/// One event's writer: the line (redacted, after any "suppressed" note), or nothing.
pub struct LimitedWriter<W> {
    inner: Option<W>,
    note: Option<String>,
    redact: Option<Redact>,
}

impl<W: Write> Write for LimitedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(inner) = self.inner.as_mut() else {
            return Ok(buf.len());
        };
        let mut out = self.note.take().unwrap_or_default();
        let text = String::from_utf8_lossy(buf);
        match self.redact.as_ref().and_then(|r| r(&text)) {
            Some(clean) => out.push_str(&clean),
            None => out.push_str(&text),
        }
        inner.write_all(out.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.inner.as_mut() {
            Some(w) => w.flush(),
            None => Ok(()),
        }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Limited<M> {
    type Writer = LimitedWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        LimitedWriter {
            inner: Some(self.inner.make_writer()),
            note: None,
            redact: self.redact.clone(),
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        match self.admit(meta) {
            None => LimitedWriter {
                inner: None,
                note: None,
                redact: None,
            },
            Some(held) => LimitedWriter {
                inner: Some(self.inner.make_writer_for(meta)),
                note: (held > 0).then(|| suppressed_line(meta, held)),
                redact: self.redact.clone(),
            },
        }
    }
}

fn suppressed_line(meta: &Metadata<'_>, held: u64) -> String {
    let place = match (meta.file(), meta.line()) {
        (Some(f), Some(l)) => format!(" ({f}:{l})"),
        _ => String::new(),
    };
    format!(
        "{} {:>5} {}: suppressed {held} similar messages{place}\n",
        utc_now(),
        meta.level(),
        meta.target()
    )
}

/// Now as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, like the log lines.
fn utc_now() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::fmt::MakeWriter;

    /// A shared in-memory sink.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Sink {
        type Writer = Sink;
        fn make_writer(&'a self) -> Sink {
            self.clone()
        }
    }

    #[test]
    fn a_repeated_warning_is_written_n_times_then_counted() {
        let sink = Sink::default();
        let limited = Limited::new(
            sink.clone(),
            5,
            Some(Arc::new(|s: &str| {
                s.contains("sk-12345678")
                    .then(|| s.replace("sk-12345678", "[redacted]"))
            })),
        );
        let subscriber = tracing_subscriber::fmt()
            .with_writer(limited)
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            for i in 0..1000 {
                tracing::warn!("bad line {i} with key sk-12345678");
            }
            tracing::info!("another call site");
        });
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let bad = text.lines().filter(|l| l.contains("bad line")).count();
        assert!(bad <= 10, "{bad} lines written:\n{text}");
        assert!(text.contains("another call site"));
        assert!(!text.contains("sk-12345678"), "{text}");
        assert!(text.contains("[redacted]"));
    }

    #[test]
    fn the_held_back_count_is_reported_when_the_site_writes_again() {
        let sink = Sink::default();
        let limited = Limited::new(sink.clone(), 2, None);
        let subscriber = tracing_subscriber::fmt()
            .with_writer(limited)
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let once = || tracing::warn!("same warning");
            for _ in 0..7 {
                once();
            }
            std::thread::sleep(WINDOW + Duration::from_millis(50));
            once();
        });
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        // However slow the machine, every warning is either written or counted.
        let held: u64 = text
            .lines()
            .filter_map(|l| l.split("suppressed ").nth(1))
            .filter_map(|r| r.split(' ').next()?.parse::<u64>().ok())
            .sum();
        let written = text.lines().filter(|l| l.ends_with("same warning")).count() as u64;
        assert!(held > 0, "{text}");
        assert_eq!(held + written, 8, "{text}");
    }

    #[test]
    fn utc_now_looks_like_rfc3339() {
        let t = utc_now();
        assert_eq!(t.len(), 27, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'), "{t}");
    }
}
