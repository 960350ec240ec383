//! `session_client`, `session_server`: arbitrary delivery sequences against the plain model
//! ([`crate::session_model`], the same copy the state-machine property test uses).
//!
//! Each input is a receiver setup (window size, clock synchronised) and up to 64 operations: a
//! message delivered, or a container with up to 8 inner messages. msg_ids are fresh (a sender
//! clock skewed −400 s … +60 s around the receiver's, right or wrong parity), replays of anything
//! delivered before, or raw 64-bit values; seq_nos, salts, the session and the receiver's clock
//! vary. Invariants: after every operation the real receiver gives the model's verdict (error
//! names and `bad_msg_notification` codes included) for the container and each inner message, and
//! both store the same msg_ids, never more than the window.

use core::cell::RefCell;

use arbitrary::{Arbitrary, Unstructured};

use crate::session_model::{Inner, Model, Msg, V};
use mtproto::ProtocolError;
use mtproto::Reaction;
use mtproto::error::SessionError;
use mtproto::session::{
    ClientConfig, ClientReceiver, FutureSalt, Inbound, InnerHeader, SaltSchedule, ServerConfig,
    ServerReceiver,
};

const T0: i64 = 1_700_000_000;
const SID: i64 = 0x1234_5678_9abc_def0;
const MAX_OPS: usize = 64;
/// Windows up to this size have their stored ids compared after every step (see [`steps`]).
const FULL_COMPARE_WINDOW: usize = 64;
/// The most msg_ids one input can deliver: every operation a container of 8 plus itself.
const MAX_IDS_PER_INPUT: usize = MAX_OPS * 9;
/// The large window an input can pick: it must hold every id one input can deliver, for the
/// comparison in [`steps`] to see a difference it never made at once.
const LARGE_WINDOW: usize = 1000;
const _: () = assert!(MAX_IDS_PER_INPUT < LARGE_WINDOW && FULL_COMPARE_WINDOW < LARGE_WINDOW);

/// Salts rotating every 1800 s with 1800 s of overlap (the property test's schedule).
fn salts() -> Vec<(i64, i64, i64)> {
    (0..8)
        .map(|i| (100 + i, T0 + 1800 * (i - 1), T0 + 1800 * (i + 1)))
        .collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Sut {
    Client(ClientReceiver),
    Server(ServerReceiver),
}

impl Sut {
    fn new(server: bool, window: usize, synced: bool) -> Self {
        if server {
            let schedule: Vec<FutureSalt> = salts()
                .into_iter()
                .map(|(salt, valid_since, valid_until)| FutureSalt {
                    salt,
                    valid_since,
                    valid_until,
                })
                .collect();
            Sut::Server(ServerReceiver::new(
                SID,
                ServerConfig { window },
                SaltSchedule::new(&schedule),
            ))
        } else {
            Sut::Client(ClientReceiver::new(
                SID,
                ClientConfig {
                    window,
                    clock_synced: synced,
                },
            ))
        }
    }

    fn reset(&mut self) {
        match self {
            Sut::Client(r) => r.reset(SID),
            Sut::Server(r) => r.reset(SID),
        }
    }
}

/// A receiver per configuration (side, window, clock), built once per thread and reset for every
/// input: a receiver preallocates its window and a 64 KiB ack queue, and under the address
/// sanitizer building one per input cost more than running it. Nothing can leak from one input to
/// the next: after the reset the receiver must equal the untouched one built with it.
struct Cached {
    key: (bool, usize, bool),
    pristine: Sut,
    work: Sut,
}

thread_local! {
    static RECEIVERS: RefCell<Vec<Cached>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` on a fresh receiver for this configuration.
fn with_receiver<R>(server: bool, window: usize, synced: bool, f: impl FnOnce(&mut Sut) -> R) -> R {
    RECEIVERS.with_borrow_mut(|cache| {
        let key = (server, window, synced);
        let i = match cache.iter().position(|c| c.key == key) {
            Some(i) => i,
            None => {
                let pristine = Sut::new(server, window, synced);
                cache.push(Cached {
                    key,
                    work: pristine.clone(),
                    pristine,
                });
                cache.len() - 1
            }
        };
        let c = &mut cache[i];
        // Reset before (a replay test that panicked may have left it dirty) and check after,
        // so that a reset which missed some state fails on the input that made that state,
        // and libFuzzer's artifact reproduces on its own.
        c.work.reset();
        let out = f(&mut c.work);
        c.work.reset();
        assert_eq!(
            c.work, c.pristine,
            "a reset receiver differs from a new one: state would leak between inputs"
        );
        out
    })
}

fn to_v(r: Result<(), SessionError>) -> V {
    match r {
        Ok(()) => V::Accept,
        Err(e) => match e.reaction() {
            Reaction::BadMsgNotification(c) => V::Bad(c),
            _ => V::Ignore(e.name()),
        },
    }
}

/// The generator state: the receiver's clock and every msg_id delivered so far.
struct Gen {
    server: bool,
    now: i64,
    seen: Vec<i64>,
}

impl Gen {
    fn fresh(&self, u: &mut Unstructured<'_>) -> arbitrary::Result<i64> {
        let skew = i64::from(u16::arbitrary(u)? % 460) - 400;
        let frac = i64::from(u32::arbitrary(u)? & ((1 << 30) - 1));
        let wrong = u8::arbitrary(u)?;
        let bits = if wrong % 9 == 0 {
            i64::from(wrong % 4)
        } else if self.server {
            0
        } else {
            1 + 2 * i64::from(wrong & 1)
        };
        Ok((((self.now + skew) << 32) | (frac << 2)) & !3 | bits)
    }

    fn msg_id(&self, u: &mut Unstructured<'_>) -> arbitrary::Result<i64> {
        match u8::arbitrary(u)? % 8 {
            0..=4 => self.fresh(u),
            5 | 6 if !self.seen.is_empty() => {
                let i = usize::from(u16::arbitrary(u)?) % self.seen.len();
                Ok(self.seen[i])
            }
            _ => i64::arbitrary(u),
        }
    }

    fn msg(&self, u: &mut Unstructured<'_>) -> arbitrary::Result<Msg> {
        let msg_id = self.msg_id(u)?;
        let seq_no = i32::from(u8::arbitrary(u)? % 12);
        let content_related = bool::arbitrary(u)?;
        let salt = match u8::arbitrary(u)? % 8 {
            7 => 7,
            i => 100 + i64::from(i),
        };
        let session_id = if u8::arbitrary(u)? % 13 == 0 {
            SID ^ 1
        } else {
            SID
        };
        let dt = i64::from(u16::arbitrary(u)? % 600) - 100;
        Ok(Msg {
            now: self.now + dt.max(0) * i64::from(dt > 400),
            session_id,
            salt,
            msg_id,
            seq_no,
            content_related,
        })
    }

    fn inner(&self, u: &mut Unstructured<'_>, container: i64) -> arbitrary::Result<Vec<Inner>> {
        let n = usize::from(u8::arbitrary(u)? % 9);
        let mut v = Vec::with_capacity(n);
        for k in 0..n {
            let mut msg_id = self.fresh(u)?;
            // Mostly well-formed: nested ids below the container's.
            if msg_id >= container && k % 2 == 0 {
                msg_id = container.wrapping_sub(4 * (k as i64 + 1));
            }
            v.push(Inner {
                msg_id,
                seq_no: i32::from(u8::arbitrary(u)? % 12),
                content_related: bool::arbitrary(u)?,
                is_container: u8::arbitrary(u)? % 20 == 0,
            });
        }
        Ok(v)
    }
}

fn inbound(m: &Msg) -> Inbound {
    Inbound {
        session_id: m.session_id,
        salt: m.salt,
        msg_id: m.msg_id,
        seq_no: m.seq_no,
        content_related: m.content_related,
    }
}

fn headers(inner: &[Inner]) -> Vec<InnerHeader> {
    inner
        .iter()
        .map(|i| InnerHeader {
            msg_id: i.msg_id,
            seq_no: i.seq_no,
            content_related: i.content_related,
            is_container: i.is_container,
        })
        .collect()
}

/// The receiver setup an input starts with: the window size and (client) whether the clock is
/// synchronised (always `false` on the server side, which has no such setting).
fn setup(server: bool, u: &mut Unstructured<'_>) -> arbitrary::Result<(usize, bool, Model)> {
    let w = u8::arbitrary(u)?;
    let window = if w & 0x80 != 0 {
        LARGE_WINDOW
    } else {
        1 + usize::from(w % 8)
    };
    let synced = bool::arbitrary(u)?;
    // The model's `synced` is ignored on the server side, as the server receiver has no such
    // setting: one cached server receiver serves both.
    let synced = synced && !server;
    let model = if server {
        Model::server(SID, window, salts(), None)
    } else {
        Model::client(SID, window, synced, None)
    };
    Ok((window, synced, model))
}

fn run(server: bool, data: &[u8]) -> arbitrary::Result<()> {
    let mut u = Unstructured::new(data);
    let (window, synced, mut model) = setup(server, &mut u)?;
    with_receiver(server, window, synced, |sut| {
        steps(server, &mut u, &mut model, sut, None)
    })
}

/// The receiver's and the model's verdicts on one step: the message (or container) and, when
/// the container is accepted, each message it holds.
pub type Verdicts = (V, Option<Vec<V>>);

/// One step of a session input as the target runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceStep {
    /// The message delivered (a container's own header when `inner` is set).
    pub msg: Msg,
    /// The messages of a container.
    pub inner: Option<Vec<Inner>>,
    /// The real receiver's verdicts.
    pub got: Verdicts,
    /// The model's verdicts.
    pub want: Verdicts,
    /// Whether both store the same msg_ids after the step.
    pub stored_agree: bool,
}

/// What a `session_client` / `session_server` input does, step by step: the receiver setup and
/// each delivery with both verdicts (`mtproto-harness fuzz-to-vector` writes it as a
/// `MsgIdTraceTest` case).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// The server's receiver (else the client's).
    pub server: bool,
    /// Replay window size N.
    pub window: usize,
    /// Client: the clock is synchronised.
    pub synced: bool,
    /// The session.
    pub session_id: i64,
    /// Server: the salts, as (salt, valid_since, valid_until).
    pub salts: Vec<(i64, i64, i64)>,
    /// The steps, in order.
    pub steps: Vec<TraceStep>,
}

/// The steps of a `session_client` (`server = false`) or `session_server` input, through the
/// same code the target runs, without asserting anything: `None` when the input is too short to
/// set up a receiver.
pub fn trace(server: bool, data: &[u8]) -> Option<Trace> {
    let mut u = Unstructured::new(data);
    let (window, synced, mut model) = setup(server, &mut u).ok()?;
    let mut rec = Vec::new();
    // An input that runs out mid-step ends where the target ends it: the steps before stay.
    let _ = with_receiver(server, window, synced, |sut| {
        steps(server, &mut u, &mut model, sut, Some(&mut rec))
    });
    Some(Trace {
        server,
        window,
        synced,
        session_id: SID,
        salts: if server { salts() } else { Vec::new() },
        steps: rec,
    })
}

/// Up to [`MAX_OPS`] operations on `sut` and `model`, compared after each.
fn steps(
    server: bool,
    u: &mut Unstructured<'_>,
    model: &mut Model,
    sut: &mut Sut,
    mut rec: Option<&mut Vec<TraceStep>>,
) -> arbitrary::Result<()> {
    let mut g = Gen {
        server,
        now: T0,
        seen: Vec::new(),
    };
    let mut acks = Vec::new();
    for step in 0..MAX_OPS {
        if u.is_empty() {
            break;
        }
        let container = u8::arbitrary(u)? % 7 == 0;
        let mut m = g.msg(u)?;
        let mut inner_of = None;
        let (want, got) = if container {
            m.content_related = false;
            m.seq_no &= !1;
            let inner = g.inner(u, m.msg_id)?;
            let want = model.feed_container(&m, &inner);
            let hs = headers(&inner);
            let got = match sut {
                Sut::Client(r) => {
                    let top = to_v(r.receive_container(m.now, &inbound(&m), &hs));
                    let each = (top == V::Accept).then(|| {
                        hs.iter()
                            .map(|h| to_v(r.receive_inner(h).map(|_| ())))
                            .collect()
                    });
                    (top, each)
                }
                Sut::Server(r) => {
                    let top = to_v(r.receive_container(m.now, &inbound(&m), &hs));
                    let each = (top == V::Accept).then(|| {
                        hs.iter()
                            .map(|h| to_v(r.receive_inner(h).map(|_| ())))
                            .collect()
                    });
                    (top, each)
                }
            };
            g.seen.extend(inner.iter().map(|i| i.msg_id));
            inner_of = Some(inner);
            (want, got)
        } else {
            let want = (model.feed(&m), None);
            let got = match sut {
                Sut::Client(r) => (to_v(r.receive(m.now, &inbound(&m)).map(|_| ())), None),
                Sut::Server(r) => (to_v(r.receive(m.now, &inbound(&m)).map(|_| ())), None),
            };
            (want, got)
        };
        g.now = g.now.max(m.now);
        g.seen.push(m.msg_id);
        if rec.is_none() {
            assert_eq!(
                got, want,
                "step {step}: receiver and model disagree on {m:?}"
            );
        }
        // A real endpoint sends its acks: keep the ack queue from filling (the model has none).
        // One buffer for the whole input: an allocation per step costs more than the step.
        acks.clear();
        let window = match sut {
            Sut::Client(r) => {
                r.acks().drain_into(&mut acks);
                r.window()
            }
            Sut::Server(r) => {
                r.acks().drain_into(&mut acks);
                r.window()
            }
        };
        if let Some(rec) = rec.as_deref_mut() {
            // Traced: every step's ids compared in full (no fuzzing budget to keep).
            rec.push(TraceStep {
                msg: m,
                inner: inner_of,
                got,
                want,
                stored_agree: window.iter().eq(model.stored_ids()),
            });
            continue;
        }
        // Both sides store the same msg_ids: the counts after every step, the ids themselves
        // after every step of a small window and after the last one. A window above
        // `FULL_COMPARE_WINDOW` ([`LARGE_WINDOW`]) evicts nothing within one input (it holds more ids
        // than an input can deliver), so an id stored on one side only stays there until the last step.
        let last = step + 1 == MAX_OPS || u.is_empty();
        let compare_ids = last || window.capacity() <= FULL_COMPARE_WINDOW;
        if window.len() != model.stored_len()
            || (compare_ids && !window.iter().eq(model.stored_ids()))
        {
            let when = if window.capacity() <= FULL_COMPARE_WINDOW {
                ""
            } else {
                " (a large window's ids are compared only at the last step: they may have \
                 diverged earlier)"
            };
            panic!(
                "step {step}: the stored msg_ids differ{when}: receiver {:?}, model {:?}",
                window.iter().collect::<Vec<_>>(),
                model.stored()
            );
        }
        assert!(window.len() <= window.capacity());
    }
    Ok(())
}

/// `session_client`: the client receiver against the model.
pub fn session_client(data: &[u8]) {
    let _ = run(false, data);
}

/// `session_server`: the server receiver against the model.
pub fn session_server(data: &[u8]) {
    let _ = run(true, data);
}
