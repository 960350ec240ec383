//! Loader failure modes.
