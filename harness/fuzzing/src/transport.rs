//! Transport decoders (<https://core.telegram.org/mtproto/mtproto-transports>): one target per
//! framing (`transport_abridged`, `transport_intermediate`, `transport_padded`, `transport_full`)
//! and `transport_obfuscated`.
//!
//! Input: `[flags][n][n × u16 LE cut points][stream]`; bit 0 of `flags` picks the direction.
//!
//! Invariants:
//!
//! - **chunking**: the stream fed in the pieces the cut points make gives the same packets and
//!   the same error as the stream fed whole (the decoder's contract: "yields the same packets
//!   however the stream is cut"), compared packet by packet as they come; and the first frame of
//!   each shape (packet kind and length class, at most eight per stream) and the bytes after the
//!   last frame, fed from the decoder as it stood at their start with the tag and header byte by
//!   byte and the body in three pieces, give the same frame and leave a decoder that gives the
//!   next frame (or the same ending) from the rest fed whole ([`check_split`]);
//! - **frames lie inside the input**: fed whole, every payload is a borrow of the stream inside
//!   the bytes its frame consumed, and frames follow each other without gaps or overlap;
//! - **encode∘decode identity**: re-encoding the decoded frames with the same framing gives back
//!   exactly the bytes they were decoded from (for server-to-client padded quick acks and errors,
//!   whose random tail the packet does not keep, with that tail passed as the padding);
//! - obfuscated2: the model derives both CTR streams from the 64-byte init independently
//!   (`key = init[8..40]`, `iv = init[40..56]`, reversed init for the other direction, MTProxy
//!   `SHA-256(key ‖ secret)`), and the obfuscated decoder on the encrypted stream, however cut, must
//!   give exactly what the plain decoder gives on the plaintext; the header round-trips through
//!   `accept` / `client_with_init`, and `accept` refuses exactly the forbidden prefixes.

use aes::Aes256;
use cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use sha2::{Digest, Sha256};

use mtproto::Direction;
use mtproto::error::TransportError;
use mtproto::transport::obfuscated::{self, INIT_LEN, ObfuscatedDecoder, ObfuscatedEncoder};
use mtproto::transport::{Decoder, Encoder, Kind, Packet};

/// Fuzz input split into its parts ([`crate::layout::transport_parts`]).
struct Input<'a> {
    dir: Direction,
    cuts: Vec<usize>,
    stream: &'a [u8],
}

fn input(data: &[u8]) -> Option<Input<'_>> {
    let (dir, cuts, stream) = crate::layout::transport_parts(data)?;
    Some(Input { dir, cuts, stream })
}

/// What decoding a stream gave: the packets (borrowing the stream) with the byte range each
/// consumed, then how it ended. Nothing is copied: under the address sanitizer an allocation per
/// frame costs more than decoding it.
#[derive(Debug)]
struct Decoded<'s> {
    frames: Vec<(Packet<'s>, usize, usize)>,
    end: Result<(), TransportError>,
}

impl Decoded<'_> {
    /// Where the last frame ends (0 if none).
    fn consumed(&self) -> usize {
        self.frames.last().map_or(0, |&(_, _, end)| end)
    }
}

/// At most this many frames of one stream are fed split byte by byte ([`Shape`]); the bytes after
/// the last frame always are, on top.
const MAX_SPLIT_FRAMES: usize = 8;

/// What decides a frame's path through the decoder when it starts at a frame boundary: which
/// packet it is (payload with or without the quick-ack flag, quick ack, error) and its length,
/// exactly below 16 bytes (every header form and short body) and by bit length above (the
/// abridged one-byte and four-byte headers fall in different buckets, 505 and 512 bytes).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Shape {
    packet: u8,
    len: usize,
}

impl Shape {
    fn of(packet: &Packet<'_>, len: usize) -> Self {
        let packet = match packet {
            Packet::Payload {
                quick_ack: false, ..
            } => 0,
            Packet::Payload {
                quick_ack: true, ..
            } => 1,
            Packet::QuickAck { .. } => 2,
            Packet::Error { .. } => 3,
        };
        let len = if len < 16 {
            len
        } else {
            16 + (usize::BITS - len.leading_zeros()) as usize
        };
        Self { packet, len }
    }
}

/// A frame (or the bytes after the last one) to feed split, with the decoder as it stood at the
/// frame's first byte when the stream was fed whole.
struct Split {
    frame: usize,
    at: Decoder,
}

/// Feed the whole stream at once and check that every payload lies inside its frame's bytes; the
/// packets returned borrow `stream` (the check proves they may). Also picks the frames to feed
/// split ([`check_split`]): the first of each [`Shape`] (up to [`MAX_SPLIT_FRAMES`]) and the
/// bytes after the last frame, each with a copy of the decoder at its start (none unless `pick`).
fn decode_whole(mut dec: Decoder, stream: &[u8], pick: bool) -> (Decoded<'_>, Vec<Split>) {
    let base = stream.as_ptr() as usize;
    let mut input = stream;
    let mut frames = Vec::new();
    let mut splits = Vec::new();
    let mut shapes: Vec<Shape> = Vec::new();
    let mut start = 0;
    let end = loop {
        // Fed whole, a frame is never buffered, so at a boundary this copies no bytes.
        let before = pick.then(|| dec.clone());
        match dec.next(&mut input) {
            Ok(Some(p)) => {
                let end = stream.len() - input.len();
                let packet = match p {
                    Packet::Payload { data, quick_ack } => {
                        let at = (data.as_ptr() as usize).wrapping_sub(base);
                        assert!(
                            data.is_empty() || (at >= start && at + data.len() <= end),
                            "payload at {at}+{} outside its frame {start}..{end}",
                            data.len()
                        );
                        let data = if data.is_empty() {
                            &[][..]
                        } else {
                            &stream[at..at + data.len()]
                        };
                        Packet::Payload { data, quick_ack }
                    }
                    Packet::QuickAck { token } => Packet::QuickAck { token },
                    Packet::Error { code } => Packet::Error { code },
                };
                let shape = Shape::of(&packet, end - start);
                if let Some(at) =
                    before.filter(|_| splits.len() < MAX_SPLIT_FRAMES && !shapes.contains(&shape))
                {
                    shapes.push(shape);
                    splits.push(Split {
                        frame: frames.len(),
                        at,
                    });
                }
                frames.push((packet, start, end));
                start = end;
            }
            Ok(None) => {
                splits.extend(before.map(|at| Split {
                    frame: frames.len(),
                    at,
                }));
                break Ok(());
            }
            Err(e) => {
                splits.extend(before.map(|at| Split {
                    frame: frames.len(),
                    at,
                }));
                break Err(e);
            }
        }
    };
    (Decoded { frames, end }, splits)
}

/// Feed `stream[from..]` in the pieces `cuts` makes (ascending positions inside the stream, after
/// `from`) into `dec`, and check, packet by packet as they come, that it gives exactly what the
/// whole stream gave from packet `first` on, then the same ending. With `stop`, only the packets
/// before it are fed and compared (the pieces must end on that frame's end) and the ending is not.
#[allow(clippy::too_many_arguments)]
fn check_cut(
    mut dec: Decoder,
    stream: &[u8],
    from: usize,
    cuts: &[usize],
    whole: &Decoded<'_>,
    first: usize,
    stop: Option<usize>,
    how: &str,
) {
    let mut n = first;
    let mut prev = from;
    let mut end = Ok(());
    let last = stop.map_or(stream.len(), |s| whole.frames[s - 1].2);
    'pieces: for &p in cuts.iter().chain(core::iter::once(&last)) {
        let mut input = &stream[prev..p];
        loop {
            match dec.next(&mut input) {
                Ok(Some(pk)) => {
                    let want = whole.frames.get(n).map(|(f, _, _)| f);
                    assert_eq!(
                        Some(&pk),
                        want,
                        "packet {n} differs when the stream is fed {how}"
                    );
                    n += 1;
                }
                Ok(None) => break,
                Err(e) => {
                    end = Err(e);
                    break 'pieces;
                }
            }
        }
        assert!(
            input.is_empty(),
            "the decoder stopped before the end of its input"
        );
        prev = p;
    }
    let want_n = stop.unwrap_or(whole.frames.len());
    assert_eq!(
        n, want_n,
        "the number of packets differs when the stream is fed {how}"
    );
    match stop {
        None => assert_eq!(
            end, whole.end,
            "the ending differs when the stream is fed {how}"
        ),
        Some(_) => assert_eq!(end, Ok(()), "the decoder failed when fed {how}"),
    }
}

/// Bytes at the start of a frame fed one at a time by [`check_split`]: the longest tag (4)
/// plus the longest header (8, the full transport's length and seqno).
const HEAD_BYTES: usize = 12;

/// Cut points inside `s..e` where the decoder changes state: every one of the first
/// [`HEAD_BYTES`] bytes (tag and header arrive byte by byte), then the body split twice (in the
/// middle and before its last byte, so it is assembled from three pieces). On short frames this
/// is byte by byte; on long ones it replaces byte-by-byte feeding of a body, whose every byte
/// takes the same path (append to the buffer, compare with the length), by three appends.
fn split_cuts(s: usize, e: usize, cuts: &mut Vec<usize>) {
    cuts.clear();
    let head = (s + HEAD_BYTES).min(e);
    cuts.extend(s + 1..head);
    let mid = head + (e - head) / 2;
    for p in [head, mid, e.saturating_sub(1)] {
        if p > s && p < e && cuts.last().is_none_or(|&l| p > l) {
            cuts.push(p);
        }
    }
}

/// The split check: a frame picked by [`decode_whole`], fed from the decoder as it stood at the
/// frame's start with its tag and header byte by byte and its body in three pieces, gives exactly
/// that frame; the decoder it leaves behind then gives the next frame fed the same way (or, after
/// the last frame, the same ending from the rest fed split), and the frame after that from the
/// stream fed whole. For the bytes after the last frame (a truncated frame, or the one that
/// failed): fed the same way they give no packet and the same ending.
///
/// Feeding the whole stream this way would cost five or more decoder calls per frame on streams of
/// short frames (the old pass did), most of them repeating a path another frame of the same shape
/// already took: a frame's path depends only on the decoder's state at its start (tag seen,
/// full's seqno, what its buffer holds) and its own bytes. The copies taken from the whole pass
/// all start with an empty buffer; the state a split frame leaves (its bytes still buffered, to be
/// cleared on the next call) is why the next frame is split as well, and a third frame fed whole
/// checks that state followed by the borrowing path. Longer chains of split frames are left to
/// the fuzzer's own cut points, which reach every frame, and to the property test
/// `every_transport_round_trips_however_the_stream_is_cut`.
fn check_split(split: Split, stream: &[u8], whole: &Decoded<'_>, cuts: &mut Vec<usize>) {
    let Split { frame, at } = split;
    let (s, e) = match whole.frames.get(frame) {
        Some(&(_, s, e)) => (s, e),
        None => (whole.consumed(), stream.len()),
    };
    split_cuts(s, e, cuts);
    if frame < whole.frames.len() {
        // The frame itself, then the next one (or the ending) from the decoder it leaves behind.
        let mut dec = at;
        let mut pieces_from = s;
        let mut got = None;
        for &p in cuts.iter().chain(core::iter::once(&e)) {
            let mut input = &stream[pieces_from..p];
            match dec.next(&mut input) {
                Ok(None) => {}
                Ok(Some(pk)) => {
                    assert_eq!(p, e, "frame {frame} fed split ended early, at {p}");
                    assert_eq!(
                        Some(&pk),
                        whole.frames.get(frame).map(|(f, _, _)| f),
                        "frame {frame} differs when fed split"
                    );
                    got = Some(());
                }
                Err(err) => panic!("frame {frame} fed split fails: {err:?}"),
            }
            assert!(
                input.is_empty(),
                "the decoder stopped before the end of its input"
            );
            pieces_from = p;
        }
        assert!(got.is_some(), "frame {frame} fed split gave no packet");
        // The next frame fed split too (the decoder now holds the buffer of a frame it returned,
        // a state no copy taken from the whole pass has), then the one after it whole (or the
        // ending, from the rest of the stream).
        match whole.frames.get(frame + 1) {
            Some(&(_, s2, e2)) => split_cuts(s2, e2, cuts),
            None => split_cuts(e, stream.len(), cuts),
        }
        let stop = (frame + 3 <= whole.frames.len()).then_some(frame + 3);
        check_cut(
            dec,
            stream,
            e,
            cuts,
            whole,
            frame + 1,
            stop,
            "after a frame fed split, split again",
        );
    } else {
        check_cut(
            at,
            stream,
            s,
            cuts,
            whole,
            frame,
            None,
            "with the bytes after the last frame split",
        );
    }
}

/// The padding to re-encode `packet` with: empty, except for server-to-client padded quick acks
/// and errors, whose random tail the decoded packet does not keep — then the bytes of `span`
/// after the packet's own encoding (its length found by encoding it into `scratch`).
fn padding_for<'s>(
    kind: Kind,
    dir: Direction,
    packet: Packet<'_>,
    span: &'s [u8],
    scratch: &mut Vec<u8>,
) -> &'s [u8] {
    if kind != Kind::Padded
        || dir != Direction::ServerToClient
        || matches!(packet, Packet::Payload { .. })
    {
        return &[];
    }
    scratch.clear();
    if let Err(e) = Encoder::without_tag(kind, dir).encode(packet, &[], scratch) {
        panic!("decoded packet {packet:?} does not re-encode: {e:?}");
    }
    span.get(scratch.len()..).unwrap_or(&[])
}

/// The checks for one framing on a plain (non-obfuscated) stream.
pub fn plain(kind: Kind, data: &[u8]) {
    let Some(Input { dir, cuts, stream }) = input(data) else {
        return;
    };
    let (whole, splits) = decode_whole(Decoder::new(kind, dir), stream, true);
    if !cuts.is_empty() {
        check_cut(
            Decoder::new(kind, dir),
            stream,
            0,
            &cuts,
            &whole,
            0,
            None,
            "in pieces",
        );
    }
    let mut scratch_cuts = Vec::with_capacity(HEAD_BYTES + 3);
    for split in splits {
        check_split(split, stream, &whole, &mut scratch_cuts);
    }
    // Re-encoding every frame gives back exactly the bytes it was decoded from.
    let mut enc = Encoder::new(kind, dir);
    let mut again = Vec::with_capacity(whole.consumed());
    let mut scratch = Vec::new();
    for &(packet, start, end) in &whole.frames {
        let span = &stream[start..end];
        let at = again.len();
        let pad = padding_for(kind, dir, packet, span, &mut scratch);
        if let Err(e) = enc.encode(packet, pad, &mut again) {
            panic!("decoded packet {packet:?} does not re-encode: {e:?}");
        }
        assert_eq!(
            &again[at..],
            span,
            "packet {packet:?} re-encodes differently from the bytes it came from"
        );
    }
    assert_eq!(again, &stream[..whole.consumed()]);
}

/// `transport_abridged`.
pub fn transport_abridged(data: &[u8]) {
    plain(Kind::Abridged, data);
}

/// `transport_intermediate`.
pub fn transport_intermediate(data: &[u8]) {
    plain(Kind::Intermediate, data);
}

/// `transport_padded`.
pub fn transport_padded(data: &[u8]) {
    plain(Kind::Padded, data);
}

/// `transport_full`.
pub fn transport_full(data: &[u8]) {
    plain(Kind::Full, data);
}

/// The forbidden first bytes of an init, written out from the spec's list ([transports]).
///
/// [transports]: https://core.telegram.org/mtproto/mtproto-transports
fn model_forbidden(init: &[u8; INIT_LEN]) -> bool {
    let first4 = &init[..4];
    init[0] == 0xef
        || [b"HEAD", b"POST", b"GET ", b"OPTI"]
            .iter()
            .any(|w| first4 == &w[..])
        || first4 == [0x16, 0x03, 0x01, 0x02]
        || first4 == [0xdd; 4]
        || first4 == [0xee; 4]
        || init[4..8] == [0; 4]
}

/// The model's CTR stream for one direction: key and IV from the init (reversed for server to
/// client), MTProxy key hashed with the secret, started `skip` bytes in.
fn model_ctr(
    init: &[u8; INIT_LEN],
    c2s: bool,
    secret: Option<&[u8; 16]>,
    skip: u64,
) -> ctr::Ctr128BE<Aes256> {
    let mut src = *init;
    if !c2s {
        src.reverse();
    }
    let mut key: [u8; 32] = src[8..40].try_into().unwrap_or([0; 32]);
    let iv: [u8; 16] = src[40..56].try_into().unwrap_or([0; 16]);
    if let Some(s) = secret {
        key = Sha256::new()
            .chain_update(key)
            .chain_update(s)
            .finalize()
            .into();
    }
    let mut c = ctr::Ctr128BE::<Aes256>::new(&key.into(), &iv.into());
    c.seek(skip);
    c
}

/// [`check_cut`] for the obfuscated decoder: `wire` (the encrypted stream) fed in the pieces
/// `cuts` makes must give exactly the packets the plain decoder gave on the plaintext, and the
/// same ending.
fn check_obfuscated_cut(
    mut dec: ObfuscatedDecoder,
    wire: &mut [u8],
    cuts: &[usize],
    whole: &Decoded<'_>,
) {
    let len = wire.len();
    let mut n = 0;
    let mut prev = 0;
    let mut end = Ok(());
    'pieces: for &p in cuts.iter().chain(core::iter::once(&len)) {
        let mut input: &mut [u8] = &mut wire[prev..p];
        loop {
            match dec.next(&mut input) {
                Ok(Some(pk)) => {
                    let want = whole.frames.get(n).map(|(f, _, _)| f);
                    assert_eq!(
                        Some(&pk),
                        want,
                        "packet {n} differs between the obfuscated and the plain decoder"
                    );
                    n += 1;
                }
                Ok(None) => break,
                Err(e) => {
                    end = Err(e);
                    break 'pieces;
                }
            }
        }
        assert!(
            input.is_empty(),
            "the obfuscated decoder stopped before the end of its input"
        );
        prev = p;
    }
    assert_eq!(
        n,
        whole.frames.len(),
        "the obfuscated decoder gives another number of packets"
    );
    assert_eq!(
        end, whole.end,
        "the obfuscated decoder ends differently from the plain one"
    );
}

/// The framing, MTProxy secret (none, 16 bytes, or `dd` ‖ 16 bytes), raw 64-byte init and the
/// rest of a `transport_obfuscated` input.
type ObfuscatedHead<'a> = (Kind, Option<Vec<u8>>, [u8; INIT_LEN], &'a [u8]);

fn obfuscated_head(data: &[u8]) -> Option<ObfuscatedHead<'_>> {
    let (head, rest) = data.split_first_chunk::<{ 2 + 16 + INIT_LEN }>()?;
    let kind = [Kind::Abridged, Kind::Intermediate, Kind::Padded][usize::from(head[0] % 3)];
    let secret16: [u8; 16] = head[2..18].try_into().unwrap_or([0; 16]);
    let secret: Option<Vec<u8>> = match head[1] % 3 {
        0 => None,
        1 => Some(secret16.to_vec()),
        _ => Some([&[0xdd][..], &secret16].concat()),
    };
    let raw: [u8; INIT_LEN] = head[18..].try_into().unwrap_or([0; INIT_LEN]);
    Some((kind, secret, raw, rest))
}

/// The 16-byte MTProxy key of a secret (a `dd` secret without its marker).
fn mtproxy_key(secret: Option<&Vec<u8>>) -> Option<[u8; 16]> {
    secret.map(|s| {
        let k = if s.len() == 17 { &s[1..] } else { &s[..] };
        k.try_into().unwrap_or([0; 16])
    })
}

/// What a `transport_obfuscated` input states as an obfuscated `TransportTest` case (for
/// `fuzz-to-vector`): framing, direction, MTProxy secret, the client's init (protocol tag in
/// place) and the stream on the wire — client to server the 64-byte header then the encrypted
/// plaintext, server to client the encrypted plaintext — encrypted with the model's keystream as
/// the target does. `None` if the input is too short or the client refuses the init (a `dd`
/// secret with another framing than padded).
pub(super) type ObfuscatedCase = (Kind, Direction, Option<Vec<u8>>, [u8; INIT_LEN], Vec<u8>);

pub(super) fn obfuscated_parts(data: &[u8]) -> Option<ObfuscatedCase> {
    let (kind, secret, raw, rest) = obfuscated_head(data)?;
    let mut init = raw;
    init[56..60].copy_from_slice(&obfuscated::protocol_tag(kind).unwrap_or([0; 4]));
    let client = obfuscated::client_with_init(&init, secret.as_deref()).ok()?;
    let Input { dir, stream, .. } = input(rest)?;
    let c2s = dir == Direction::ClientToServer;
    let mut wire = stream.to_vec();
    model_ctr(
        &init,
        c2s,
        mtproxy_key(secret.as_ref()).as_ref(),
        if c2s { INIT_LEN as u64 } else { 0 },
    )
    .apply_keystream(&mut wire);
    let on_wire = if c2s {
        [&client.header[..], &wire].concat()
    } else {
        wire
    };
    Some((kind, dir, secret, init, on_wire))
}

/// `transport_obfuscated`: `[kind][secret mode][16-byte secret][64-byte init][flags][n][cuts][plaintext stream]`.
pub fn transport_obfuscated(data: &[u8]) {
    let Some((kind, secret, raw, rest)) = obfuscated_head(data) else {
        return;
    };

    // accept() on arbitrary bytes: refuses exactly the forbidden prefixes (or an unknown tag),
    // and what it accepts is rebuilt byte for byte by the client side.
    match obfuscated::accept(&raw, secret.as_deref()) {
        Ok(acc) => {
            assert!(!model_forbidden(&raw), "a forbidden prefix was accepted");
            let Ok(client) = obfuscated::client_with_init(&acc.init, secret.as_deref()) else {
                panic!("an accepted init does not rebuild");
            };
            assert_eq!(
                client.header, raw,
                "accept/client_with_init do not round-trip"
            );
        }
        Err(TransportError::ForbiddenPrefix) => {
            assert!(model_forbidden(&raw), "an allowed prefix was refused");
        }
        Err(_) => assert!(!model_forbidden(&raw)),
    }

    // A client init with the tag in place; the server must accept its header unless the
    // random prefix is forbidden.
    let mut init = raw;
    init[56..60].copy_from_slice(&obfuscated::protocol_tag(kind).unwrap_or([0; 4]));
    let Ok(client) = obfuscated::client_with_init(&init, secret.as_deref()) else {
        // Only a `dd` secret with another framing is refused.
        assert!(secret.as_ref().is_some_and(|s| s.len() == 17) && kind != Kind::Padded);
        return;
    };
    assert_eq!(
        client.header[..56],
        init[..56],
        "the header's first 56 bytes are sent in clear"
    );
    let server = match obfuscated::accept(&client.header, secret.as_deref()) {
        Ok(s) => s,
        Err(TransportError::ForbiddenPrefix) if model_forbidden(&client.header) => return,
        Err(e) => panic!("the server refuses a client's own header: {e:?}"),
    };
    assert_eq!((server.kind, server.init), (kind, init));
    assert_eq!(server.dc, i16::from_le_bytes([init[60], init[61]]));

    let Some(Input { dir, cuts, stream }) = input(rest) else {
        return;
    };
    let mtproxy_key = mtproxy_key(secret.as_ref());
    let c2s = dir == Direction::ClientToServer;
    let mut ks = model_ctr(
        &init,
        c2s,
        mtproxy_key.as_ref(),
        if c2s { INIT_LEN as u64 } else { 0 },
    );
    let mut wire = stream.to_vec();
    ks.apply_keystream(&mut wire);

    let (plain_whole, _) = decode_whole(Decoder::without_tag(kind, dir), stream, false);
    let (decoder, encoder): (ObfuscatedDecoder, ObfuscatedEncoder) = if c2s {
        (server.decoder, client.encoder)
    } else {
        (client.decoder, server.encoder)
    };
    check_obfuscated_cut(decoder, &mut wire.clone(), &cuts, &plain_whole);
    // The encoder's keystream stays in step with the wire: re-encoding the decoded frames
    // reproduces the ciphertext they were decoded from.
    let mut encoder = encoder;
    let mut again_wire = Vec::new();
    let mut scratch = Vec::new();
    for &(packet, start, end) in &plain_whole.frames {
        let pad = padding_for(kind, dir, packet, &stream[start..end], &mut scratch);
        if let Err(e) = encoder.encode(packet, pad, &mut again_wire) {
            panic!("obfuscated re-encode of {packet:?}: {e:?}");
        }
    }
    assert_eq!(
        again_wire,
        &wire[..plain_whole.consumed()],
        "obfuscated encode∘decode differs"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn abridged_stream(bodies: &[usize]) -> Vec<u8> {
        let mut enc = Encoder::new(Kind::Abridged, Direction::ClientToServer);
        let mut out = Vec::new();
        for &len in bodies {
            let body = vec![0x5a; len];
            let packet = Packet::Payload {
                data: &body,
                quick_ack: false,
            };
            enc.encode(packet, &[], &mut out).unwrap();
        }
        out
    }

    fn split_frames(stream: &[u8]) -> Vec<usize> {
        let (whole, splits) = decode_whole(
            Decoder::new(Kind::Abridged, Direction::ClientToServer),
            stream,
            true,
        );
        assert_eq!(whole.end, Ok(()));
        splits.iter().map(|s| s.frame).collect()
    }

    #[test]
    fn one_frame_of_each_shape_and_the_tail_are_split() {
        // Twenty frames of one shape: the first (which carries the tag, so is a shape of its own)
        // and the second are split, then the (empty) tail.
        let same = abridged_stream(&[4; 20]);
        assert_eq!(split_frames(&same), [0, 1, 20]);
        // A long frame (four-byte header) in the middle is a new shape; so is a longer short one.
        let mixed = abridged_stream(&[4, 4, 600, 4, 8, 4]);
        assert_eq!(split_frames(&mixed), [0, 1, 2, 4, 6]);
        // A truncated last frame is the tail.
        let mut cut = abridged_stream(&[4, 8]);
        cut.truncate(cut.len() - 3);
        assert_eq!(split_frames(&cut), [0, 1]);
    }

    #[test]
    fn at_most_eight_frames_are_split() {
        // Ten shapes: exact lengths below 16 bytes, bit lengths above.
        let stream = abridged_stream(&[4, 8, 12, 16, 32, 64, 128, 256, 512, 1024]);
        assert_eq!(split_frames(&stream), [0, 1, 2, 3, 4, 5, 6, 7, 10]);
        // Lengths 17..=31 share one bucket.
        let bucket = abridged_stream(&[4, 16, 20, 24, 28]);
        assert_eq!(split_frames(&bucket), [0, 1, 5]);
    }

    #[test]
    fn split_cuts_feed_the_head_byte_by_byte_and_the_body_in_three_pieces() {
        let mut cuts = Vec::new();
        split_cuts(100, 105, &mut cuts);
        assert_eq!(cuts, [101, 102, 103, 104]);
        split_cuts(0, 600, &mut cuts);
        let head: Vec<usize> = (1..=12).collect();
        assert_eq!(cuts[..12], head[..]);
        assert_eq!(cuts[12..], [306, 599]);
        split_cuts(7, 7, &mut cuts);
        assert!(cuts.is_empty());
    }

    #[test]
    fn every_shape_replays_through_the_oracle() {
        let stream = abridged_stream(&[4, 4, 600, 4, 8, 4]);
        let data = crate::layout::transport(Direction::ClientToServer, &[3, 700], &stream);
        transport_abridged(&data);
        let mut cut = stream.clone();
        cut.truncate(cut.len() - 2);
        transport_abridged(&crate::layout::transport(
            Direction::ClientToServer,
            &[],
            &cut,
        ));
    }
}
