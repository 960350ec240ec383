//! Runner outcome logic.
