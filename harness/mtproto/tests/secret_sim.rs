//! Two secret-chat parties in memory behind a hostile relay (issue 7 §5): the relay drops,
//! reorders, duplicates, replays and tampers; both ends must reject every replay and tamper,
//! recover every gap through resend requests, deliver each side's messages exactly once and in
//! order, and agree on their state; a re-key in mid-stream must complete. A relay that swaps in
//! its own DH values gets different key visualisations on the two sides.

use proptest::prelude::*;

use mtproto::secret::chat::{SecretChat, Verdict};
use mtproto::secret::key::{Requester, accept};
use mtproto::secret::rekey::RekeyPhase;
use mtproto::secret::{Role, message};
use mtproto::tl::generated::secret::enums::DecryptedMessage;

use crate::secret::{chat_key, group, pair, secret, text};

#[derive(Clone, Debug)]
enum Op {
    Send(bool, u16),
    Deliver(usize),
    Duplicate(usize),
    Tamper(usize, usize),
    Replay(usize),
    Drop(usize),
    Rekey(bool, i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<bool>(), any::<u16>()).prop_map(|(s, n)| Op::Send(s, n)),
        8 => any::<usize>().prop_map(Op::Deliver),
        1 => any::<usize>().prop_map(Op::Duplicate),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(i, b)| Op::Tamper(i, b)),
        1 => any::<usize>().prop_map(Op::Replay),
        1 => any::<usize>().prop_map(Op::Drop),
        // Rare and with few ids, so equal concurrent ids happen too.
        1 => (any::<bool>(), 0i64..3).prop_map(|(s, x)| Op::Rekey(s, x)),
    ]
}

struct Flight {
    to_a: bool,
    packet: Vec<u8>,
    droppable: bool,
}

struct World {
    a: SecretChat,
    b: SecretChat,
    flying: Vec<Flight>,
    history: Vec<(bool, Vec<u8>)>,
    sent: [Vec<String>; 2],
    got: [Vec<String>; 2],
    last_out: [i32; 2],
    seed: u8,
    rekeys: u32,
}

impl World {
    fn chat(&mut self, a: bool) -> &mut SecretChat {
        if a { &mut self.a } else { &mut self.b }
    }

    fn fresh(&mut self) -> [u8; 32] {
        self.seed = self.seed.wrapping_add(1);
        [self.seed; 32]
    }

    fn send(&mut self, from_a: bool, body: String, droppable: bool) {
        let fresh = self.fresh();
        let n = self.sent[usize::from(from_a)].len() as i64;
        let p = self.chat(from_a).send(text(n, &body), 0, &fresh).unwrap();
        self.sent[usize::from(from_a)].push(body);
        self.flying.push(Flight {
            to_a: !from_a,
            packet: p,
            droppable,
        });
    }

    /// Deliver a packet; returns whether it was accepted. Never closes a chat.
    fn deliver(&mut self, to_a: bool, packet: &[u8]) -> bool {
        let fresh = self.fresh();
        match self.chat(to_a).receive(packet, 0, &fresh) {
            Verdict::Accepted {
                delivered,
                replies,
                notices,
            } => {
                assert!(notices.is_empty(), "both sides speak the same layer");
                let side = usize::from(to_a);
                for d in delivered {
                    assert_eq!(
                        d.layer.out_seq_no,
                        self.last_out[side] + 2,
                        "in order, no gap, no repeat"
                    );
                    self.last_out[side] = d.layer.out_seq_no;
                    if let DecryptedMessage::DecryptedMessage73(m) = d.layer.message {
                        self.got[side].push(m.message);
                    }
                }
                for r in replies {
                    self.flying.push(Flight {
                        to_a: !to_a,
                        packet: r,
                        droppable: false,
                    });
                }
                self.history.push((to_a, packet.to_vec()));
                true
            }
            Verdict::Rejected(_) => false,
            Verdict::Closed(e) => panic!("chat closed by the relay: {e}"),
        }
    }

    fn apply(&mut self, op: Op) {
        let n = self.flying.len();
        match op {
            Op::Send(from_a, x) => self.send(from_a, format!("m{x}"), true),
            Op::Deliver(i) if n > 0 => {
                let f = self.flying.remove(i % n);
                self.deliver(f.to_a, &f.packet);
            }
            Op::Duplicate(i) if n > 0 => {
                let (to_a, p) = (self.flying[i % n].to_a, self.flying[i % n].packet.clone());
                self.deliver(to_a, &p);
            }
            Op::Tamper(i, bit) if n > 0 => {
                let (to_a, mut p) = (self.flying[i % n].to_a, self.flying[i % n].packet.clone());
                let bit = bit % (p.len() * 8);
                p[bit / 8] ^= 1 << (bit % 8);
                assert!(!self.deliver(to_a, &p), "tampered packet accepted");
            }
            Op::Replay(j) if !self.history.is_empty() => {
                let (to_a, p) = self.history[j % self.history.len()].clone();
                assert!(!self.deliver(to_a, &p), "replay accepted");
            }
            Op::Drop(i) if n > 0 && self.flying[i % n].droppable => {
                self.flying.remove(i % n);
            }
            Op::Rekey(from_a, x) if self.rekeys < 2 => {
                let chat = self.chat(from_a);
                if *chat.rekey_phase() == RekeyPhase::Idle && !chat.holds_old_key() {
                    let fresh = self.fresh();
                    let p = self
                        .chat(from_a)
                        .start_rekey(x, &secret(0x80 | fresh[0]), 0, &fresh)
                        .unwrap();
                    self.rekeys += 1;
                    self.flying.push(Flight {
                        to_a: !from_a,
                        packet: p,
                        droppable: true,
                    });
                }
            }
            _ => {}
        }
    }

    /// Each side sends one last message (so trailing holes show), then everything in flight is
    /// delivered in order until nothing is left.
    fn settle(&mut self) {
        self.send(true, "end-a".into(), false);
        self.send(false, "end-b".into(), false);
        let mut steps = 0;
        while !self.flying.is_empty() {
            let f = self.flying.remove(0);
            self.deliver(f.to_a, &f.packet);
            steps += 1;
            assert!(steps < 100_000, "the relay never settles");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn both_ends_survive_a_hostile_relay(ops in proptest::collection::vec(op(), 400..1000), seed in any::<u8>()) {
        let (a, b) = pair(seed);
        let mut w = World {
            a, b, flying: Vec::new(), history: Vec::new(),
            sent: [Vec::new(), Vec::new()], got: [Vec::new(), Vec::new()],
            // Messages from the originator are odd, from the acceptor even.
            last_out: [-1, -2], seed, rekeys: 0,
        };
        for o in ops {
            w.apply(o);
        }
        w.settle();
        // got[1] is what A received (from B), got[0] what B received.
        prop_assert_eq!(&w.got[1], &w.sent[0]);
        prop_assert_eq!(&w.got[0], &w.sent[1]);
        prop_assert!(!w.a.is_closed() && !w.b.is_closed());
        prop_assert_eq!(w.a.counts(), (w.b.counts().1, w.b.counts().0));
        prop_assert_eq!(w.a.current_key().fingerprint(), w.b.current_key().fingerprint());
        prop_assert_eq!(w.a.rekey_phase(), &RekeyPhase::Idle);
        prop_assert_eq!(w.b.rekey_phase(), &RekeyPhase::Idle);
        prop_assert_eq!(w.a.visualisation(), w.b.visualisation());
    }
}

#[test]
fn a_rekey_mid_stream_completes_under_reordering() {
    // A fixed run: messages both ways, a re-key, more messages, delivered newest first.
    let (a, b) = pair(3);
    let mut w = World {
        a,
        b,
        flying: Vec::new(),
        history: Vec::new(),
        sent: [Vec::new(), Vec::new()],
        got: [Vec::new(), Vec::new()],
        last_out: [-1, -2],
        seed: 3,
        rekeys: 0,
    };
    let before = w.a.current_key().fingerprint();
    for i in 0..50 {
        w.apply(Op::Send(i % 3 != 0, i));
    }
    w.apply(Op::Rekey(true, 1));
    for i in 0..200usize {
        w.apply(if i % 4 == 0 {
            Op::Send(i % 8 == 0, i as u16)
        } else {
            Op::Deliver(usize::MAX - i)
        });
    }
    w.settle();
    assert_eq!(w.got[1], w.sent[0]);
    assert_eq!(w.got[0], w.sent[1]);
    assert_ne!(w.a.current_key().fingerprint(), before);
    assert_eq!(
        w.a.current_key().fingerprint(),
        w.b.current_key().fingerprint()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    /// Mallory relays requestEncryption with her own g_a to Bob and answers Alice with her own
    /// g_b: both chats work, but the two visualisations differ, and nothing under one key is
    /// accepted under the other.
    #[test]
    fn a_relay_swapping_g_a_shows_different_visualisations(sa in 1u8..255, sb in 1u8..255, sm in 1u8..255) {
        let alice = Requester::new(group(), secret(sa)).unwrap();
        let mallory_to_bob = Requester::new(group(), secret(sm ^ 0x55)).unwrap();
        let mallory_to_alice = accept(&group(), alice.g_a(), &secret(sm)).unwrap();
        let bob = accept(&group(), mallory_to_bob.g_a(), &secret(sb)).unwrap();
        let alice_key = alice.complete(&mallory_to_alice.g_b, mallory_to_alice.key_fingerprint()).unwrap();
        let bob_key = bob.key.clone();
        let va = SecretChat::new(Role::Originator, alice_key.clone(), group(), 0);
        let mut vb = SecretChat::new(Role::Acceptor, bob_key, group(), 0);
        prop_assert_ne!(va.visualisation(), vb.visualisation());
        // Forwarding Alice's packet unchanged does not reach Bob.
        let mut va = va;
        let p = va.send(text(1, "hi"), 0, &[1; 32]).unwrap();
        let rejected = matches!(vb.receive(&p, 0, &[2; 32]), Verdict::Rejected(_));
        prop_assert!(rejected);
        // Alice's key and its own checks are sound: Mallory's side reads it.
        let _ = message::decrypt(&mallory_to_alice.key, Role::Acceptor, &p).unwrap();
        let _ = chat_key(0);
    }
}
