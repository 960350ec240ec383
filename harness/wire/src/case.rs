//! The scripted case model. It lives with the `wire` vector family
//! (`mtproto_vectors::families::wire::model`: plain serde types, no IO) and is re-exported here;
//! this module adds what needs the IO side: the [`Transport`] a case runs over.

pub use mtproto_vectors::families::wire::model::*;

use crate::error::Result;
use crate::framing::Transport;

/// The transport a case runs over.
pub trait CaseTransport {
    /// The case's transport, parsed ([`Transport::parse`]).
    fn transport(&self) -> Result<Transport>;
}

impl CaseTransport for WireCase {
    fn transport(&self) -> Result<Transport> {
        Transport::parse(&self.transport, self.secret.as_deref())
    }
}
