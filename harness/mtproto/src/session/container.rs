//! `msg_container` (spec §3.1 R12, §7.2, [desc], [sm]).
//!
//! ```text
//! msg_container#73f1f8dc messages:vector<%Message>      (bare vector: no 0x1cb5c415)
//!   | dc f8 f1 73 | count: int | message … |
//! message msg_id:long seqno:int bytes:int body:Object
//!   | msg_id: long | seqno: int | bytes: int | body: bytes (a multiple of 4) |
//! ```
//!
//! [desc]: a container's msg_id is greater than those of the messages it holds, its seq_no is at
//! least theirs, it is not content-related, and containers are not nested; [sm]: at most 1024
//! messages. The receivers enforce those rules ([`ServerReceiver::receive_container`]
//! (crate::session::ServerReceiver::receive_container)); this module only reads the bytes.
//!
//! [desc]: https://core.telegram.org/mtproto/description
//! [sm]: https://core.telegram.org/mtproto/service_messages

use crate::codec::Reader;
use crate::error::CodecError;

/// The constructor of `msg_container`.
pub const MSG_CONTAINER_ID: u32 = 0x73f1_f8dc;
/// The constructor of `msgs_ack`.
pub const MSGS_ACK_ID: u32 = 0x62d6_b459;
/// "A container may hold at most 1024 messages" ([sm]).
///
/// [sm]: https://core.telegram.org/mtproto/service_messages
pub const MAX_CONTAINER_MESSAGES: usize = 1024;

/// One message inside a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InnerMessage<'a> {
    /// `msg_id`.
    pub msg_id: i64,
    /// `seqno`.
    pub seq_no: i32,
    /// `body`, `bytes` long.
    pub body: &'a [u8],
}

impl InnerMessage<'_> {
    /// The body's constructor, if it has 4 bytes.
    pub fn constructor(&self) -> Option<u32> {
        self.body.first_chunk::<4>().map(|c| u32::from_le_bytes(*c))
    }

    /// Whether the body is itself a container (forbidden: containers do not nest).
    pub fn is_container(&self) -> bool {
        self.constructor() == Some(MSG_CONTAINER_ID)
    }
}

/// The messages of a container body, read one at a time without allocating.
#[derive(Clone, Debug)]
pub struct ContainerIter<'a> {
    reader: Reader<'a>,
    declared: usize,
    read: usize,
}

impl ContainerIter<'_> {
    /// The message count the container declares (check it against [`MAX_CONTAINER_MESSAGES`]
    /// before reading).
    pub fn declared(&self) -> usize {
        self.declared
    }
}

/// Start reading `body` as a `msg_container`: `None` if its constructor is another one, an error
/// if the count is missing or negative.
pub fn parse_container(body: &[u8]) -> Option<Result<ContainerIter<'_>, CodecError>> {
    let mut reader = Reader::new(body);
    if reader.u32().ok()? != MSG_CONTAINER_ID {
        return None;
    }
    let offset = reader.offset();
    Some(reader.int().and_then(|n| {
        let declared =
            usize::try_from(n).map_err(|_| CodecError::UnexpectedEnd { offset, needed: 4 })?;
        Ok(ContainerIter {
            reader,
            declared,
            read: 0,
        })
    }))
}

impl<'a> Iterator for ContainerIter<'a> {
    type Item = Result<InnerMessage<'a>, CodecError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.read >= self.declared {
            return None;
        }
        self.read = self.read.saturating_add(1);
        let item = (|| {
            let msg_id = self.reader.long()?;
            let seq_no = self.reader.int()?;
            let at = self.reader.offset();
            let len =
                usize::try_from(self.reader.int()?).map_err(|_| CodecError::UnexpectedEnd {
                    offset: at,
                    needed: 4,
                })?;
            let body = self.reader.bytes(len)?;
            Ok(InnerMessage {
                msg_id,
                seq_no,
                body,
            })
        })();
        if item.is_err() {
            // Stop after the first malformed message.
            self.read = self.declared;
        }
        Some(item)
    }
}
