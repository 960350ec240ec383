//! What crossed the wire in a case: each frame both ways, in hex, with a note saying what the
//! harness meant by it (or what it decoded).

use std::time::Instant;

use serde::{Deserialize, Serialize};

/// Which way a frame went, seen from the harness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dir {
    /// Harness to peer.
    Sent,
    /// Peer to harness.
    Received,
}

/// One frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameRecord {
    /// Which way.
    pub dir: Dir,
    /// Milliseconds since the connection started.
    pub at_ms: u64,
    /// `payload`, `quick_ack`, `transport_error`, `obfuscation_init` or `raw`.
    pub kind: String,
    /// The frame's payload (or the raw bytes), lowercase hex.
    pub hex: String,
    /// What the harness meant by it or decoded from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The frames of one connection, in order.
#[derive(Clone, Debug)]
pub struct Transcript {
    start: Instant,
    /// The frames.
    pub frames: Vec<FrameRecord>,
}

impl Default for Transcript {
    fn default() -> Self {
        Self::new()
    }
}

impl Transcript {
    /// An empty transcript starting now.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            frames: Vec::new(),
        }
    }

    /// Append a frame.
    pub fn push(&mut self, dir: Dir, kind: &str, bytes: &[u8], note: Option<String>) {
        self.frames.push(FrameRecord {
            dir,
            at_ms: u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX),
            kind: kind.to_string(),
            hex: hex::encode(bytes),
            note,
        });
    }

    /// Set the note of the last frame (appending if it has one).
    pub fn annotate_last(&mut self, note: &str) {
        if let Some(f) = self.frames.last_mut() {
            f.note = Some(match f.note.take() {
                Some(n) => format!("{n}; {note}"),
                None => note.to_string(),
            });
        }
    }
}
