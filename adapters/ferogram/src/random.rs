//! The randomness ferogram draws, supplied by the adapter.
//!
//! ferogram takes every random byte (a nonce, `new_nonce`, RSA padding and `temp_key`, `b`, DH
//! padding, message padding, a session_id, an obfuscated init) from `getrandom`. This crate is
//! built with `getrandom_backend="custom"` (`.cargo/config.toml`), so those calls land in
//! [`__getrandom_v03_custom`], which hands out the bytes a request [`feed`]s, in order. A call
//! for more bytes than are queued fails, which ferogram turns into a panic: the request needed
//! randomness the vector does not fix, and the adapter answers `unsupported` for it.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

thread_local! {
    static QUEUE: RefCell<VecDeque<u8>> = const { RefCell::new(VecDeque::new()) };
    static STARVED: Cell<bool> = const { Cell::new(false) };
}

/// Queue `bytes` for the library's next `getrandom` calls, after whatever is queued.
pub fn feed(bytes: &[u8]) {
    QUEUE.with(|q| q.borrow_mut().extend(bytes));
}

/// Drop whatever a request left queued and forget an earlier refusal.
pub fn clear() {
    QUEUE.with(|q| q.borrow_mut().clear());
    STARVED.with(|s| s.set(false));
}

/// Whether the library asked for more bytes than were queued since the last [`clear`].
pub fn starved() -> bool {
    STARVED.with(Cell::get)
}

/// The `getrandom` custom backend: the queued bytes, or an error when too few are queued.
///
/// # Safety
///
/// `getrandom` calls this with `dest` valid for writes of `len` bytes.
#[unsafe(no_mangle)]
unsafe extern "Rust" fn __getrandom_v03_custom(
    dest: *mut u8,
    len: usize,
) -> Result<(), getrandom::Error> {
    QUEUE.with(|q| {
        let mut q = q.borrow_mut();
        if q.len() < len {
            STARVED.with(|s| s.set(true));
            return Err(getrandom::Error::new_custom(1));
        }
        let bytes: Vec<u8> = q.drain(..len).collect();
        // SAFETY: the caller's contract above; `dest` may be uninitialized, so it is written
        // through the raw pointer, never read or borrowed as a slice.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dest, len) };
        Ok(())
    })
}
