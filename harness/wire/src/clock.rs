//! Wall-clock time for msg_ids and the receivers' time window; the reference takes `now` as an
//! argument, the shell reads it here.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix time now plus `offset_secs`, as (seconds, nanoseconds).
pub fn now_parts(offset_secs: i64) -> (u32, u32) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(d.as_secs())
        .unwrap_or(0)
        .saturating_add(offset_secs);
    (
        u32::try_from(secs.max(0)).unwrap_or(u32::MAX),
        d.subsec_nanos(),
    )
}

/// Unix seconds now plus `offset_secs`.
pub fn now_secs(offset_secs: i64) -> i64 {
    i64::from(now_parts(offset_secs).0)
}
