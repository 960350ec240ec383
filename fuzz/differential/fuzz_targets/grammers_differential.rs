//! grammers-crypto / grammers-mtproto 0.11.0 against the reference: the envelope primitive
//! (`decrypt_data_v2`, R1–R4, client side), the three transports' `unpack` (server-to-client
//! streams) and `factorize`. The first byte picks which.
#![no_main]

use grammers_crypto::AuthKey;
use grammers_mtproto::transport::{Abridged, Error, Full, Intermediate, Transport};
use mtproto::Receiver;
use mtproto::transport::{Frame, Kind};
use mtproto_fuzzing::differential::{self, UnlessKnown};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => envelope(rest),
        1 => transport(rest, which),
        _ => pq(rest),
    }
});

/// `decrypt_data_v2` decrypts as a client (x = 8): only inputs for a client receiver.
fn envelope(data: &[u8]) {
    if differential::envelope_input(data).is_none_or(|i| i.receiver != Receiver::Client) {
        return;
    }
    differential::envelope_open(data, |i| {
        let mut packet = i.packet.clone();
        grammers_crypto::decrypt_data_v2(&mut packet, &AuthKey::from_bytes(i.auth_key))
            .map(|pt| pt.to_vec())
            .map_err(|e| format!("{e:?}"))
    })
    .unless_known(KNOWN_ENVELOPE);
}

/// Known divergences of `decrypt_data_v2` (none: R1–R4 agree).
const KNOWN_ENVELOPE: &[&str] = &[];

fn transport(data: &[u8], which: u8) {
    let kind = [Kind::Abridged, Kind::Intermediate, Kind::Full][usize::from(which / 3) % 3];
    differential::transport_decode(data, kind, |stream| {
        let mut t: Box<dyn Transport> = match kind {
            Kind::Abridged => Box::new(Abridged::new()),
            Kind::Intermediate => Box::new(Intermediate::new()),
            _ => Box::new(Full::new()),
        };
        let mut stream = stream.to_vec();
        let mut frames = Vec::new();
        let mut at = 0usize;
        while at < stream.len() {
            let rest = &mut stream[at..];
            // Known crash, kept out of the way so the run can find others: grammers-mtproto
            // 0.11.0 reads abridged's 3-byte length as `i32 >> 8`, so a length with its top bit
            // set is negative and `header_len + len` overflows (src/transport/abridged.rs:106;
            // a panic with overflow checks, a wrapped range without). Found by this target's
            // first CI smoke run on `ff ff ff ff ...`; the reference refuses such a frame.
            if matches!(kind, Kind::Abridged)
                && rest.first().is_some_and(|&b| b >= 0x7f)
                && rest.get(3).is_some_and(|&b| b & 0x80 != 0)
            {
                return Err("KnownPanic: negative abridged length (abridged.rs:106)".into());
            }
            // Known crash: a transport error code of i32::MIN is negated as `(-len) as u32`
            // (full.rs:81, intermediate.rs and abridged.rs alike), an overflow panic with
            // overflow checks. Found by the second smoke run on `00 00 00 80` (full).
            let min = i32::MIN.to_le_bytes();
            let code_at = if matches!(kind, Kind::Abridged) { 1 } else { 0 };
            if rest.get(code_at..code_at + 4) == Some(&min[..]) {
                return Err("KnownPanic: transport error code i32::MIN negated".into());
            }
            // Known crash: intermediate's error-code frame (length 4) is read as `buffer[4..8]`
            // before checking the buffer holds 8 bytes (intermediate.rs:69): an index panic, in
            // release builds too, on `04 00 00 00` followed by fewer than 4 bytes. Found by the
            // third smoke run.
            if matches!(kind, Kind::Intermediate)
                && rest.get(..4) == Some(&4i32.to_le_bytes()[..])
                && rest.len() < 8
            {
                return Err("KnownPanic: intermediate length 4 with a short body".into());
            }
            match t.unpack(rest) {
                Ok(o) if o.next_offset == 0 => return Err("an empty frame".into()),
                Ok(o) => {
                    // The first smoke run panicked slicing with grammers' range: out of bounds.
                    let Some(data) = rest.get(o.data_range.clone()) else {
                        return Err(format!("data range {:?} past the stream", o.data_range));
                    };
                    frames.push(Frame::Payload {
                        data: data.to_vec(),
                        quick_ack: false,
                    });
                    at += o.next_offset;
                }
                // A negative length: grammers reports the transport error code and stops.
                Err(Error::BadStatus { status }) => {
                    frames.push(Frame::Error {
                        code: -(status as i32),
                    });
                    break;
                }
                Err(e) => return Err(format!("{e:?}")),
            }
        }
        Ok(frames)
    })
    .unless_known(KNOWN_TRANSPORT);
}

/// Known divergences of grammers' transports. Shown by the fixed vectors on grammers
/// (vectors/transport/transport_test.json, reports/matrix/): a stream cut inside a frame is not
/// `Truncated`, a too-short frame is taken, and frames the reference accepts are read otherwise
/// (quick acks, transport error codes: "accepted"). Not yet traced to a vector, listed so that the
/// smoke run fails on a crash or on a CRC or seqno disagreement, not on these length rules:
/// `FrameNotAligned`, `NonCanonicalLength`, `FrameTooLong`.
const KNOWN_TRANSPORT: &[&str] = &[
    "Truncated",
    "FrameTooShort",
    "accepted",
    "FrameNotAligned",
    "NonCanonicalLength",
    "FrameTooLong",
];

/// `factorize` panics on a pq it cannot split (a prime, three primes): it is called on pq the
/// reference can split only, and on 8-byte pq only (grammers' step 2 refuses other sizes).
fn pq(data: &[u8]) {
    differential::pq_factor(data, |pq| {
        let Ok(pq8) = <[u8; 8]>::try_from(pq) else {
            return Err(format!("pq of {} bytes", pq.len()));
        };
        if mtproto::handshake::pq::factorize_be(pq).is_err() {
            return Err("not a product of two 32-bit primes (grammers would panic)".into());
        }
        let (p, q) = grammers_crypto::factorize(u64::from_be_bytes(pq8));
        let (p, q) = (p.min(q), p.max(q));
        Ok((
            mtproto::handshake::pq::minimal_be(p),
            mtproto::handshake::pq::minimal_be(q),
        ))
    })
    .unless_known(KNOWN_PQ);
}

/// grammers refuses a pq that is not 8 bytes, a valid pq of fewer significant bytes included
/// (vectors/pq/pq_test.json `PqShape` cases fail on grammers: "accepted").
const KNOWN_PQ: &[&str] = &["accepted"];
