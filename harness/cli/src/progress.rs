//! The progress bar: on stderr, only when stderr is a terminal, [`ci`] is false and `--quiet`
//! was not given. Each line fits the terminal's width (read again at every draw, so a resized
//! terminal is followed), so it never wraps.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Whether a progress bar should be drawn.
pub fn wanted(quiet: bool) -> bool {
    let ci = ci(std::env::var("CI").ok().as_deref());
    !quiet && !ci && std::io::stderr().is_terminal()
}

/// Whether the `CI` environment variable says the run is in CI: set to anything but empty, `0`
/// or `false` (any case). The README states this rule in these words.
pub fn ci(value: Option<&str>) -> bool {
    value.is_some_and(|v| {
        let v = v.trim();
        !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false"))
    })
}

/// The terminal width of stderr in columns (80 when it cannot be read).
fn terminal_width() -> usize {
    rustix::termios::tcgetwinsize(std::io::stderr())
        .ok()
        .map(|w| usize::from(w.ws_col))
        .filter(|&w| w > 0)
        .unwrap_or(80)
}

/// A progress bar over the cases of the loaded files (run or filtered out).
#[derive(Debug)]
pub struct Progress {
    enabled: bool,
    total_files: usize,
    done_files: usize,
    total_cases: u64,
    seen_cases: u64,
    cases: usize,
    failing: usize,
    file: String,
    last: Option<Instant>,
}

const WIDTH: usize = 30;
const EVERY: Duration = Duration::from_millis(80);

impl Progress {
    /// A bar for `total_files` files holding `total_cases` cases; draws nothing unless `enabled`.
    pub fn new(enabled: bool, total_files: usize, total_cases: u64) -> Self {
        Progress {
            enabled,
            total_files,
            done_files: 0,
            total_cases,
            seen_cases: 0,
            cases: 0,
            failing: 0,
            file: String::new(),
            last: None,
        }
    }

    /// A file starts.
    pub fn start_file(&mut self, file: &str) {
        self.file = file.to_owned();
        self.draw(true);
    }

    /// A case finished; `seen` cases of the loaded files have been considered so far.
    pub fn case(&mut self, passed: bool, seen: u64) {
        self.seen_cases = seen;
        self.cases += 1;
        if !passed {
            self.failing += 1;
        }
        self.draw(false);
    }

    /// A file finished; `seen` cases considered so far.
    pub fn end_file(&mut self, seen: u64) {
        self.seen_cases = seen;
        self.done_files += 1;
        self.draw(true);
    }

    /// Clears the bar.
    pub fn finish(&mut self) {
        if self.enabled {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }

    fn draw(&mut self, force: bool) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        if !force && self.last.is_some_and(|t| now.duration_since(t) < EVERY) {
            return;
        }
        self.last = Some(now);
        let line = self.line(terminal_width());
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
    }

    /// The bar's text for a terminal `width` columns wide: at most `width - 1` characters (the
    /// last column would wrap on some terminals). The bar shrinks first, then the file name, then
    /// the counts are cut.
    pub fn line(&self, width: usize) -> String {
        let room = width.saturating_sub(1);
        let counts = format!(
            " {}/{} cases, {}/{} files, {} run, {} not passing",
            self.seen_cases,
            self.total_cases,
            self.done_files,
            self.total_files,
            self.cases,
            self.failing
        );
        let counts_len = counts.chars().count();
        // "[" + bar + "]" + counts + "  " + file
        let bar = room.saturating_sub(counts_len + 2).min(WIDTH);
        let mut line = String::with_capacity(room);
        if bar >= 5 {
            let filled = (bar as u64)
                .saturating_mul(self.seen_cases)
                .checked_div(self.total_cases)
                .map_or(bar, |f| usize::try_from(f).unwrap_or(bar))
                .min(bar);
            line.push('[');
            line.push_str(&"#".repeat(filled));
            line.push_str(&".".repeat(bar - filled));
            line.push(']');
        }
        line.push_str(&counts);
        let left = room.saturating_sub(line.chars().count() + 2);
        if left >= 8 {
            line.push_str("  ");
            let n = self.file.chars().count();
            if n > left {
                let tail: Vec<char> = self.file.chars().skip(n - (left - 1)).collect();
                line.push('…');
                line.extend(tail);
            } else {
                line.push_str(&self.file);
            }
        }
        line.chars().take(room).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Defect 12 (issue 21): the bar wrapped in an 80-column terminal.
    #[test]
    fn the_line_fits_any_width() {
        let mut p = Progress::new(false, 57, 6022);
        p.start_file(
            "vectors/session/some_rather_long_directory_name/session_server_trace_test.json",
        );
        for _ in 0..3000 {
            p.case(false, 6000);
        }
        for width in [0, 1, 10, 40, 60, 80, 100, 200] {
            let line = p.line(width);
            assert!(
                line.chars().count() < width.max(1),
                "{width}: {} chars: {line}",
                line.chars().count()
            );
        }
        let line = p.line(200);
        assert!(
            line.starts_with('[') && line.ends_with("session_server_trace_test.json"),
            "{line}"
        );
        assert!(p.line(80).contains("6000/6022 cases"), "{}", p.line(80));
    }

    /// Defect 12: "no bar when CI is set" and `CI=false` / an empty `CI` had to agree.
    #[test]
    fn ci_is_set_unless_empty_zero_or_false() {
        for (v, want) in [
            (None, false),
            (Some(""), false),
            (Some(" "), false),
            (Some("0"), false),
            (Some("false"), false),
            (Some("FALSE"), false),
            (Some("true"), true),
            (Some("1"), true),
            (Some("yes"), true),
        ] {
            assert_eq!(ci(v), want, "{v:?}");
        }
        let readme = include_str!("../../../README.md");
        assert!(
            readme.contains("never when `CI` is set to anything but empty, `0` or `false`"),
            "README.md must state the rule ci() implements"
        );
    }
}
