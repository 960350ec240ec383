//! The progress bar: on stderr, only when stderr is a terminal, `CI` is unset (or `false`/`0`)
//! and `--quiet` was not given.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Whether a progress bar should be drawn.
pub fn wanted(quiet: bool) -> bool {
    let ci = std::env::var("CI")
        .map(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE" | "False"))
        .unwrap_or(false);
    !quiet && !ci && std::io::stderr().is_terminal()
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
        let filled = (WIDTH as u64)
            .saturating_mul(self.seen_cases)
            .checked_div(self.total_cases)
            .map_or(WIDTH, |f| usize::try_from(f).unwrap_or(WIDTH))
            .min(WIDTH);
        let file: String = if self.file.chars().count() > 50 {
            let tail: Vec<char> = self.file.chars().rev().take(49).collect();
            std::iter::once('…').chain(tail.into_iter().rev()).collect()
        } else {
            self.file.clone()
        };
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K[{}{}] {}/{} cases, {}/{} files, {} run, {} not passing  {}",
            "#".repeat(filled),
            ".".repeat(WIDTH - filled),
            self.seen_cases,
            self.total_cases,
            self.done_files,
            self.total_files,
            self.cases,
            self.failing,
            file
        );
        let _ = err.flush();
    }
}
