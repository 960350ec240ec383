//! Errors as values: every failure names what went wrong and where (which step, which peer).

use std::fmt;

/// A failure of the IO shell, of the peer, or of the reference on the peer's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireError {
    /// An OS-level socket or process operation failed.
    Io {
        /// What was being done, e.g. `"bind 127.0.0.1:0"`.
        what: String,
        /// The OS error, as text.
        detail: String,
    },
    /// A deadline passed.
    Timeout {
        /// What was awaited.
        what: String,
        /// The budget, in milliseconds.
        after_ms: u64,
    },
    /// The peer closed the connection.
    Closed {
        /// What was awaited when it closed.
        during: String,
        /// Bytes of an unfinished frame held when it closed.
        pending: usize,
    },
    /// A frame longer than the cap (the declared length is not allocated).
    FrameTooLong {
        /// Bytes of the frame seen so far, or its declared length.
        len: u64,
        /// The cap.
        cap: usize,
    },
    /// The peer's bytes broke a rule of the reference (transport, envelope, handshake, session).
    Protocol {
        /// Where: `"transport"`, `"handshake resPQ"`, `"envelope"`, ...
        layer: String,
        /// The reference's error (name and description).
        detail: String,
    },
    /// A configuration value (environment variable, case field) is missing or malformed.
    Config {
        /// The variable or field.
        name: String,
        /// What is wrong with it.
        detail: String,
    },
}

impl WireError {
    /// An [`WireError::Io`] for `what`.
    pub fn io(what: impl Into<String>, e: &std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            detail: e.to_string(),
        }
    }

    /// A [`WireError::Protocol`] at `layer` from a reference error.
    pub fn protocol(layer: impl Into<String>, e: impl fmt::Display) -> Self {
        Self::Protocol {
            layer: layer.into(),
            detail: e.to_string(),
        }
    }

    /// A [`WireError::Config`].
    pub fn config(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Config {
            name: name.into(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { what, detail } => write!(f, "{what}: {detail}"),
            Self::Timeout { what, after_ms } => write!(f, "timed out after {after_ms} ms: {what}"),
            Self::Closed { during, pending } => {
                write!(f, "connection closed by the peer during {during}")?;
                if *pending > 0 {
                    write!(f, " ({pending} bytes of an unfinished frame held)")?;
                }
                Ok(())
            }
            Self::FrameTooLong { len, cap } => {
                write!(f, "frame of {len} bytes exceeds the cap of {cap} bytes")
            }
            Self::Protocol { layer, detail } => write!(f, "{layer}: {detail}"),
            Self::Config { name, detail } => write!(f, "{name}: {detail}"),
        }
    }
}

impl std::error::Error for WireError {}

/// Result alias.
pub type Result<T, E = WireError> = std::result::Result<T, E>;
