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

/// A progress bar over vector files, counting cases.
#[derive(Debug)]
pub struct Progress {
    enabled: bool,
    total_files: usize,
    done_files: usize,
    cases: usize,
    failing: usize,
    file: String,
    last: Option<Instant>,
}

const WIDTH: usize = 30;
const EVERY: Duration = Duration::from_millis(80);

impl Progress {
    /// A bar for `total_files` files; draws nothing unless `enabled`.
    pub fn new(enabled: bool, total_files: usize) -> Self {
        Progress {
            enabled,
            total_files,
            done_files: 0,
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

    /// A case finished.
    pub fn case(&mut self, passed: bool) {
        self.cases += 1;
        if !passed {
            self.failing += 1;
        }
        self.draw(false);
    }

    /// A file finished.
    pub fn end_file(&mut self) {
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
        let filled = WIDTH
            .saturating_mul(self.done_files)
            .checked_div(self.total_files)
            .unwrap_or(WIDTH)
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
            "\r\x1b[2K[{}{}] {}/{} files, {} cases, {} not passing  {}",
            "#".repeat(filled),
            ".".repeat(WIDTH - filled),
            self.done_files,
            self.total_files,
            self.cases,
            self.failing,
            file
        );
        let _ = err.flush();
    }
}
