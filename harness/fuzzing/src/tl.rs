//! `tl_decode`: arbitrary bytes decoded as one top-level TL type of either schema
//! (<https://core.telegram.org/mtproto/serialize>).
//!
//! Invariants, for every type the generated code has (each schema's `Object` and every boxed
//! type of `mtproto.tl` and `secret.tl`):
//!
//! - what decodes re-encodes to exactly the bytes it consumed ("one encoding per value": strict
//!   decoding admits no second spelling of a value — non-canonical `bytes` lengths, non-zero
//!   padding, unknown flag bits and wrong `Bool`/`Vector` ids are all refused);
//! - decoding the re-encoding gives the same value again, consuming all of it;
//! - the JSON form (`tl.decode` / `tl.encode` of the adapter protocol) round-trips: the value read
//!   back from its JSON encodes to the same bytes;
//! - a `gzip_packed` that inflates (within a small limit) deflates and inflates back to the same
//!   bytes, and its content goes through the same checks as an `Object`.

use mtproto::codec::Reader;
use mtproto::tl::generated::{mtproto as mt, secret};
use mtproto::tl::{Ctx, Tl, gzip};

/// Inflate limit inside the target: large enough for any seed, small enough to stay fast.
const GZIP_LIMIT: usize = 1 << 16;

/// One decodable type: its name (for messages) and the check.
type Check = (&'static str, fn(&[u8]));

macro_rules! checks {
    ($($path:path),* $(,)?) => {
        &[$((stringify!($path), check::<$path>)),*]
    };
}

/// Every top-level type, in a fixed order: the first input byte picks one.
pub const TYPES: &[Check] = checks![
    mt::Object,
    secret::Object,
    mt::enums::BadMsgNotification,
    mt::enums::BindAuthKeyInner,
    mt::enums::ClientDHInnerData,
    mt::enums::DestroyAuthKeyRes,
    mt::enums::DestroySessionRes,
    mt::enums::FutureSalt,
    mt::enums::FutureSalts,
    mt::enums::HttpWait,
    mt::enums::MessageContainer,
    mt::enums::MsgDetailedInfo,
    mt::enums::MsgResendReq,
    mt::enums::MsgsAck,
    mt::enums::MsgsAllInfo,
    mt::enums::MsgsStateInfo,
    mt::enums::MsgsStateReq,
    mt::enums::NewSession,
    mt::enums::PQInnerData,
    mt::enums::Pong,
    mt::enums::ResPQ,
    mt::enums::RpcDropAnswer,
    mt::enums::RpcError,
    mt::enums::RpcResult,
    mt::enums::ServerDHInnerData,
    mt::enums::ServerDHParams,
    mt::enums::SetClientDHParamsAnswer,
    secret::enums::DecryptedMessage,
    secret::enums::DecryptedMessageAction,
    secret::enums::DecryptedMessageLayer,
    secret::enums::DecryptedMessageMedia,
    secret::enums::DocumentAttribute,
    secret::enums::FileLocation,
    secret::enums::InputStickerSet,
    secret::enums::MessageEntity,
    secret::enums::PhotoSize,
    secret::enums::SendMessageAction,
];

/// `[type index][bytes]`: decode `bytes` as `TYPES[index % len]`.
pub fn tl_decode(data: &[u8]) {
    let Some((index, _, bytes)) = crate::layout::tl_parts(data) else {
        return;
    };
    let (_, run) = TYPES[index];
    run(bytes);
}

fn check<T: Tl + core::fmt::Debug>(bytes: &[u8]) {
    check_nested::<T>(bytes, true);
}

/// The checks; `unpack` says whether a `gzip_packed` is opened (once: no gzip inside gzip).
fn check_nested<T: Tl + core::fmt::Debug>(bytes: &[u8], unpack: bool) {
    let mut r = Reader::new(bytes);
    let Ok(value) = T::read(&mut r, &mut Ctx::new()) else {
        return;
    };
    let consumed = &bytes[..r.offset()];
    let again = value.to_bytes();
    assert_eq!(
        again, consumed,
        "{value:?} re-encodes differently from the bytes it was decoded from"
    );
    let Ok(back) = T::from_bytes(&again) else {
        panic!("the re-encoding of {value:?} does not decode");
    };
    assert_eq!(back.to_bytes(), again, "decode∘encode is not the identity");
    let Ok(from_json) = T::from_json(&value.to_json()) else {
        panic!("the JSON form of {value:?} does not read back");
    };
    assert_eq!(
        from_json.to_bytes(),
        again,
        "the JSON form loses information"
    );
    // gzip_packed content: whatever inflates is an Object candidate of its own.
    if unpack
        && let Ok(mt::Object::GzipPacked(g)) = mt::Object::from_bytes(consumed)
        && let Ok(plain) = gzip::inflate(&g.packed_data, GZIP_LIMIT)
    {
        let round = gzip::inflate(&gzip::deflate(&plain), GZIP_LIMIT);
        assert_eq!(round.ok(), Some(plain.clone()), "deflate∘inflate differs");
        check_nested::<mt::Object>(&plain, false);
    }
}
