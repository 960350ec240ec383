//! TL (spec §7): constructor ids of every shipped combinator, strict decoding (one test per
//! documented invalid encoding), container and gzip limits, the JSON form, and properties.

use mtproto::ProtocolError;
use mtproto::codec::Reader;
use mtproto::error::{CodecError, TlError};
use mtproto::tl::generated::{mtproto as mt, secret};
use mtproto::tl::schema::{self, crc32, normalize};
use mtproto::tl::{Ctx, Identifiable, Json, SCHEMAS, Tl, gzip};
use proptest::prelude::*;

use crate::support::h;

#[test]
fn every_explicit_id_equals_the_crc32_of_its_normalized_line() {
    let mut checked = 0;
    for (name, text) in SCHEMAS {
        let s = schema::parse(text).unwrap();
        for c in &s.combinators {
            if let Some(id) = c.explicit_id {
                assert_eq!(
                    c.computed_id,
                    id,
                    "schema/{name}.tl line {}: {} normalizes to {:?}",
                    c.line,
                    c.name,
                    normalize(&c.text)
                );
                if c.bytes_as_written {
                    // The marker is for a published id rule 2 does not give, nothing else.
                    assert_ne!(
                        crc32(&normalize(&c.text)),
                        id,
                        "schema/{name}.tl line {}: `// HASH BYTES AS WRITTEN` is not needed",
                        c.line
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} ids checked");
}

#[test]
fn spec_7_1_normalization_table() {
    for (decl, want) in [
        (
            "vector#1cb5c415 {t:Type} # [ t ] = Vector t",
            0x1cb5_c415u32,
        ),
        (
            "msgs_ack#62d6b459 msg_ids:Vector<long> = MsgsAck",
            0x62d6_b459,
        ),
        ("req_pq_multi nonce:int128 = ResPQ", 0xbe7e_8ef1),
        (
            "resPQ nonce:int128 server_nonce:int128 pq:bytes server_public_key_fingerprints:Vector<long> = ResPQ",
            0x0516_2463,
        ),
        (
            "invokeAfterMsg {X:Type} msg_id:long query:!X = X",
            0xcb9f_372d,
        ),
        (
            "inputMessagesFilterPhoneCalls flags:# missed:flags.0?true = MessagesFilter",
            0x80c9_9768,
        ),
        ("gzip_packed packed_data:bytes = Object", 0x3072_cfa1),
        (
            "msg_container messages:vector<%Message> = MessageContainer",
            0x73f1_f8dc,
        ),
        (
            "decryptedMessageActionRequestKey exchange_id:long g_a:bytes = DecryptedMessageAction",
            0xf3c9_611b,
        ),
        ("boolTrue = Bool", 0x9972_75b5),
        ("boolFalse = Bool", 0xbc79_9737),
        ("true = True", 0x3fed_d339),
        ("int ? = Int", 0xa850_9bda),
        ("long ? = Long", 0x2207_6cba),
        ("string ? = String", 0xb528_6e24),
        ("double ? = Double", 0x2210_c154),
    ] {
        assert_eq!(
            crc32(&normalize(decl)),
            want,
            "{decl} -> {:?}",
            normalize(decl)
        );
    }
}

#[test]
fn hash_bytes_as_written_applies_to_the_next_declaration_only() {
    let s = schema::parse("// HASH BYTES AS WRITTEN\na#6abd9782 x:bytes = A;\nb x:bytes = B;\n")
        .unwrap();
    assert!(s.combinators[0].bytes_as_written);
    assert_eq!(s.combinators[0].computed_id, crc32("a x:bytes = A"));
    assert!(!s.combinators[1].bytes_as_written);
    assert_eq!(s.combinators[1].computed_id, crc32("b x:string = B"));
    assert!(schema::parse("a = A;\n// HASH BYTES AS WRITTEN\n").is_err());
    assert!(schema::parse("a\n// HASH BYTES AS WRITTEN\nx:int = A;").is_err());
}

#[test]
fn schema_errors_name_the_line() {
    let e = schema::parse("a#1 x:int = A;\nb#zz = B;").unwrap_err();
    assert_eq!(e.line, 2);
    let e = schema::parse("c#1 x:f.0?int = C;").unwrap_err();
    assert!(e.message.contains("not an earlier `#` field"), "{e}");
    assert!(schema::parse("d#1 = D").is_err());
}

fn decode_obj(b: &[u8]) -> Result<mt::Object, TlError> {
    mt::Object::from_bytes(b)
}

#[test]
fn known_encodings_from_the_spec() {
    // msgs_ack with one id; the spec's pq example: 08 ‖ 8 bytes ‖ 00 00 00.
    let ack = mt::types::MsgsAck {
        msg_ids: vec![0x0102_0304_0506_0708],
    };
    assert_eq!(
        ack.to_bytes(),
        h("59b4d662 15c4b51c 01000000 0807060504030201")
    );
    let res = mt::types::ResPQ {
        nonce: [1; 16],
        server_nonce: [2; 16],
        pq: h("17ed48941a08f981"),
        server_public_key_fingerprints: vec![-0x3f3e_7b6f_3f2b_2a8e],
    };
    let b = res.to_bytes();
    assert_eq!(&b[36..48], &h("08 17ed48941a08f981 000000")[..]);
    assert_eq!(decode_obj(&b).unwrap(), mt::Object::ResPQ(res));
    // Transport-independent: ping and Bool.
    assert_eq!(
        mt::functions::Ping { ping_id: 1 }.to_bytes(),
        h("ec77be7a 0100000000000000")
    );
}

#[test]
fn unknown_constructor_names_its_id_in_hex() {
    let e = decode_obj(&h("deadbeef 00000000")).unwrap_err();
    assert_eq!(
        e,
        TlError::UnknownConstructor {
            id: 0xefbe_adde,
            expected: "Object"
        }
    );
    assert!(e.to_string().contains("0xefbeadde"), "{e}");
    assert_eq!(e.name(), "UnknownConstructor");
}

#[test]
fn wrong_vector_id_is_rejected() {
    let e = decode_obj(&h("59b4d662 15c4b51d 00000000")).unwrap_err();
    assert_eq!(e, TlError::BadVectorId { id: 0x1db5_c415 });
}

#[test]
fn oversized_or_negative_count_is_rejected_before_allocating() {
    for count in ["ffffff7f", "ffffffff", "03000000"] {
        let b = h(&format!("59b4d662 15c4b51c {count} 0000000000000000"));
        assert!(
            matches!(decode_obj(&b), Err(TlError::CountTooLarge { .. })),
            "{count}"
        );
    }
}

#[test]
fn more_than_8192_acked_ids_is_rejected() {
    let ok = mt::types::MsgsAck {
        msg_ids: vec![7; 8192],
    };
    assert!(decode_obj(&ok.to_bytes()).is_ok());
    let bad = mt::types::MsgsAck {
        msg_ids: vec![7; 8193],
    };
    assert_eq!(
        decode_obj(&bad.to_bytes()),
        Err(TlError::TooManyIds { count: 8193 })
    );
}

#[test]
fn non_canonical_length_and_nonzero_padding_are_rejected() {
    // rpc_error with a 1-byte message in the long length form.
    let long_form = h("19ca4421 90010000 fe010000 41000000");
    assert_eq!(
        decode_obj(&long_form),
        Err(TlError::Codec(CodecError::NonCanonicalLength { offset: 8 }))
    );
    let bad_pad = h("19ca4421 90010000 01410001");
    assert_eq!(
        decode_obj(&bad_pad),
        Err(TlError::Codec(CodecError::NonZeroPadding { offset: 11 }))
    );
    let not_utf8 = h("19ca4421 90010000 01ff0000");
    assert_eq!(decode_obj(&not_utf8), Err(TlError::InvalidUtf8));
}

#[test]
fn truncated_values_are_rejected_at_every_cut() {
    let b = mt::types::FutureSalts {
        req_msg_id: 1,
        now: 2,
        salts: vec![
            mt::types::FutureSalt {
                valid_since: 1,
                valid_until: 2,
                salt: 3
            };
            3
        ],
    }
    .to_bytes();
    for cut in 0..b.len() {
        assert!(decode_obj(&b[..cut]).is_err(), "cut {cut}");
    }
    assert!(
        decode_obj(&[b.clone(), vec![0; 4]].concat()).is_err(),
        "trailing bytes"
    );
}

#[test]
fn wrong_bool_id_is_rejected() {
    // The secret schema has no Bool field; check the runtime directly.
    let mut r = Reader::new(&[0xb5, 0x75, 0x72, 0x98]);
    assert_eq!(
        mtproto::tl::rt::read_bool(&mut r),
        Err(TlError::BadBool { id: 0x9872_75b5 })
    );
    assert_eq!(
        mtproto::tl::rt::read_bool(&mut Reader::new(&h("b5757299"))),
        Ok(true)
    );
    assert_eq!(
        mtproto::tl::rt::read_bool(&mut Reader::new(&h("379779bc"))),
        Ok(false)
    );
}

/// Layer 73's `decryptedMessage#91cc4674` has `no_webpage:flags.1?true silent:flags.5?true`
/// (https://core.telegram.org/constructor/decryptedMessage): a peer's silent message must decode,
/// not fail as an unknown flag bit.
#[test]
fn decrypted_message_73_reads_the_silent_and_no_webpage_bits() {
    let m = secret::types::DecryptedMessage73 {
        no_webpage: true,
        silent: true,
        random_id: 7,
        ttl: 0,
        message: "hi".into(),
        media: None,
        entities: None,
        via_bot_name: None,
        reply_to_random_id: None,
        grouped_id: None,
    };
    let b = m.to_bytes();
    assert_eq!(&b[..8], &h("7446cc91 22000000")[..]);
    assert_eq!(b.len(), 8 + 8 + 4 + 4, "true flags occupy no bytes");
    assert_eq!(
        secret::Object::from_bytes(&b).unwrap(),
        secret::Object::DecryptedMessage73(m)
    );
}

/// Layers 101, 143 and 144 of the end-to-end schema (https://core.telegram.org/schema/end-to-end):
/// the new entities and the 64-bit document size decode and round-trip.
#[test]
fn later_secret_layers_decode() {
    use secret::enums::{DocumentAttribute, MessageEntity};
    let doc = secret::types::DecryptedMessageMediaDocument143 {
        thumb: vec![],
        thumb_w: 0,
        thumb_h: 0,
        mime_type: "video/mp4".into(),
        size: 3 << 31, // above 2^32: the reason for layer 143
        key: vec![1; 32],
        iv: vec![2; 32],
        attributes: vec![DocumentAttribute::DocumentAttributeFilename(
            secret::types::DocumentAttributeFilename {
                file_name: "a.mp4".into(),
            },
        )],
        caption: String::new(),
    };
    let b = doc.to_bytes();
    assert_eq!(&b[..4], &h("8297bd6a")[..]);
    assert_eq!(
        secret::Object::from_bytes(&b).unwrap(),
        secret::Object::DecryptedMessageMediaDocument143(doc)
    );
    let entities = vec![
        MessageEntity::MessageEntityUnderline(secret::types::MessageEntityUnderline {
            offset: 0,
            length: 1,
        }),
        MessageEntity::MessageEntityStrike(secret::types::MessageEntityStrike {
            offset: 1,
            length: 1,
        }),
        MessageEntity::MessageEntityBlockquote(secret::types::MessageEntityBlockquote {
            offset: 2,
            length: 1,
        }),
        MessageEntity::MessageEntitySpoiler(secret::types::MessageEntitySpoiler {
            offset: 3,
            length: 1,
        }),
        MessageEntity::MessageEntityCustomEmoji(secret::types::MessageEntityCustomEmoji {
            offset: 4,
            length: 2,
            document_id: -5,
        }),
    ];
    let m = secret::Object::DecryptedMessage73(secret::types::DecryptedMessage73 {
        no_webpage: false,
        silent: false,
        random_id: 1,
        ttl: 0,
        message: "abcdef".into(),
        media: None,
        entities: Some(entities),
        via_bot_name: None,
        reply_to_random_id: None,
        grouped_id: None,
    });
    let b = m.to_bytes();
    assert_eq!(secret::Object::from_bytes(&b).unwrap(), m);
    assert_eq!(secret::Object::from_json(&m.to_json()).unwrap(), m);
}

/// The answer to `auth.bindTempAuthKey` (declared `= Bool`, spec §4.6) is an `rpc_result` whose
/// `result:Object` (spec §7.2) is `boolTrue`: it must decode, not fail as an unknown constructor.
#[test]
fn rpc_result_carrying_a_bool_decodes() {
    for (bool_id, v) in [
        ("b5757299", mt::Object::BoolTrue(mt::types::BoolTrue {})),
        ("379779bc", mt::Object::BoolFalse(mt::types::BoolFalse {})),
    ] {
        let b = h(&format!("016d5cf3 0800000000000000 {bool_id}"));
        let want = mt::Object::RpcResult(mt::types::RpcResult {
            req_msg_id: 8,
            result: Box::new(v.clone()),
        });
        assert_eq!(decode_obj(&b).unwrap(), want);
        assert_eq!(want.to_bytes(), b);
        assert_eq!(mt::Object::from_json(&want.to_json()).unwrap(), want);
        // A bare Bool where an Object is expected, and inside a container message.
        assert_eq!(decode_obj(&h(bool_id)).unwrap(), v);
        let c = mt::Object::MsgContainer(mt::types::MsgContainer {
            messages: vec![mt::types::Message {
                msg_id: 4,
                seqno: 1,
                body: Box::new(want.clone()),
            }],
        });
        assert_eq!(decode_obj(&c.to_bytes()).unwrap(), c);
    }
    // JSON form: the constructor, as for any boxed value (`{"_":"boolTrue"}`).
    let j = mt::Object::BoolTrue(mt::types::BoolTrue {}).to_json();
    assert_eq!(
        j,
        Json::Object(vec![("_".into(), Json::Str("boolTrue".into()))])
    );
    // Still strict: a Bool id with one bit changed is unknown.
    assert_eq!(
        decode_obj(&h("016d5cf3 0800000000000000 b4757299")),
        Err(TlError::UnknownConstructor {
            id: 0x9972_75b4,
            expected: "Object"
        })
    );
}

/// A `Vector` is not an `Object`: its elements do not say their type (`Vector<long>` and a
/// two-element `Vector<int>` are the same bytes), so without the function's declared result it
/// cannot be decoded; the generic decoder names its id.
#[test]
fn a_vector_where_an_object_is_expected_is_an_unknown_constructor() {
    assert_eq!(
        decode_obj(&h("016d5cf3 0800000000000000 15c4b51c 00000000")),
        Err(TlError::UnknownConstructor {
            id: 0x1cb5_c415,
            expected: "Object"
        })
    );
}

#[test]
fn flags_fields_are_present_iff_their_bit_is_set() {
    let m = secret::types::DecryptedMessage73 {
        no_webpage: false,
        silent: false,
        random_id: 1,
        ttl: 0,
        message: "hi".into(),
        media: None,
        entities: None,
        via_bot_name: Some("bot".into()),
        reply_to_random_id: None,
        grouped_id: Some(9),
    };
    let b = m.to_bytes();
    // flags = bit 11 | bit 17.
    assert_eq!(&b[4..8], &((1u32 << 11) | (1 << 17)).to_le_bytes());
    assert_eq!(
        secret::Object::from_bytes(&b).unwrap(),
        secret::Object::DecryptedMessage73(m)
    );
    // An undefined bit is rejected.
    let mut bad = b.clone();
    bad[4] |= 1;
    assert_eq!(
        secret::Object::from_bytes(&bad),
        Err(TlError::UnknownFlags { bits: 1 })
    );
    // A set bit whose field is missing: truncated.
    let mut missing = b.clone();
    missing[5] |= 1 << 1; // bit 9: media
    assert!(secret::Object::from_bytes(&missing).is_err());
    // flags.N?true occupies no bytes.
    let a = secret::types::DocumentAttributeAudio46 {
        voice: true,
        duration: 3,
        title: None,
        performer: None,
        waveform: None,
    };
    assert_eq!(a.to_bytes(), h("c6f95298 00040000 03000000"));
}

fn container(n: usize) -> mt::types::MsgContainer {
    mt::types::MsgContainer {
        messages: (0..n)
            .map(|i| mt::types::Message {
                msg_id: i as i64 * 4,
                seqno: 1,
                body: Box::new(mt::Object::Pong(mt::types::Pong {
                    msg_id: 1,
                    ping_id: 2,
                })),
            })
            .collect(),
    }
}

#[test]
fn container_of_1024_is_accepted_and_1025_rejected() {
    assert!(decode_obj(&container(1024).to_bytes()).is_ok());
    assert!(
        decode_obj(&container(0).to_bytes()).is_ok(),
        "empty containers are allowed"
    );
    assert_eq!(
        decode_obj(&container(1025).to_bytes()),
        Err(TlError::ContainerTooLarge { count: 1025 })
    );
}

#[test]
fn nested_container_is_rejected() {
    let inner = container(1);
    let outer = mt::types::MsgContainer {
        messages: vec![mt::types::Message {
            msg_id: 4,
            seqno: 1,
            body: Box::new(mt::Object::MsgContainer(inner)),
        }],
    };
    assert_eq!(decode_obj(&outer.to_bytes()), Err(TlError::NestedContainer));
}

#[test]
fn container_message_bytes_must_delimit_the_body() {
    let mut b = container(1).to_bytes();
    // bytes field at offset 4 + 4 + 8 + 4 = 20 says 20 (the pong); make it 16, 24, -4, 18.
    for bad in [16i32, 24, -4, 18] {
        b[20..24].copy_from_slice(&bad.to_le_bytes());
        assert!(decode_obj(&b).is_err(), "{bad}");
    }
}

#[test]
fn gzip_packed_inflates_within_a_limit() {
    let inner = mt::Object::Pong(mt::types::Pong {
        msg_id: 5,
        ping_id: 6,
    })
    .to_bytes();
    let packed = gzip::deflate(&inner);
    assert_eq!(gzip::inflate(&packed, 1024).unwrap(), inner);
    // A bomb: 1 MiB of zeros packs to about 1 KiB and must stop at the limit.
    let bomb = gzip::deflate(&vec![0u8; 1 << 20]);
    assert!(bomb.len() < 4096);
    assert_eq!(
        gzip::inflate(&bomb, 65536),
        Err(TlError::GzipTooLarge { limit: 65536 })
    );
    assert_eq!(gzip::inflate(b"not gzip", 1024), Err(TlError::BadGzip));
    assert_eq!(
        gzip::inflate(&[packed.clone(), vec![0]].concat(), 1024),
        Err(TlError::BadGzip)
    );
    let obj = mt::Object::GzipPacked(mt::types::GzipPacked {
        packed_data: packed,
    });
    assert_eq!(decode_obj(&obj.to_bytes()).unwrap(), obj);
}

#[test]
fn json_form_round_trips_and_rejects_unknown_keys() {
    let c = mt::Object::MsgContainer(container(2));
    let j = c.to_json();
    assert_eq!(mt::Object::from_json(&j).unwrap(), c);
    let m = secret::types::DecryptedMessage73 {
        no_webpage: false,
        silent: false,
        random_id: -1,
        ttl: 5,
        message: "x".into(),
        media: Some(
            secret::enums::DecryptedMessageMedia::DecryptedMessageMediaEmpty(
                secret::types::DecryptedMessageMediaEmpty {},
            ),
        ),
        entities: Some(vec![]),
        via_bot_name: None,
        reply_to_random_id: Some(3),
        grouped_id: None,
    };
    let j = m.to_json();
    assert_eq!(
        j.get("_"),
        Some(&Json::Str("decryptedMessage#91cc4674".into()))
    );
    assert_eq!(secret::types::DecryptedMessage73::from_json(&j).unwrap(), m);
    let Json::Object(mut fields) = j else {
        panic!()
    };
    fields.push(("extra".into(), Json::Null));
    assert!(secret::types::DecryptedMessage73::from_json(&Json::Object(fields)).is_err());
}

#[test]
fn deep_nesting_is_bounded() {
    // rpc_result inside rpc_result ... 100 deep.
    let mut b = mt::Object::Pong(mt::types::Pong {
        msg_id: 0,
        ping_id: 0,
    })
    .to_bytes();
    for _ in 0..100 {
        b = [h("016d5cf3 0000000000000000"), b].concat();
    }
    assert_eq!(decode_obj(&b), Err(TlError::TooDeep));
}

/// Every constructor id of the mtproto and secret schemas.
fn ids() -> Vec<(bool, u32)> {
    let mut v = Vec::new();
    for (name, text) in SCHEMAS {
        for c in schema::parse(text).unwrap().combinators {
            if (!c.builtin || c.result == "Bool") && c.explicit_id.is_some() {
                v.push((*name == "secret", c.id()));
            }
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Catches a lenient decoder: whatever decodes must re-encode to exactly the same bytes
    /// (one encoding per value), and its JSON form must round-trip.
    #[test]
    fn whatever_decodes_re_encodes_identically(
        (secret, id) in prop::sample::select(ids()),
        tail in prop::collection::vec(prop_oneof![3 => Just(0u8), 1 => any::<u8>()], 0..96),
    ) {
        let b = [id.to_le_bytes().to_vec(), tail].concat();
        if secret {
            if let Ok(v) = secret::Object::from_bytes(&b) {
                prop_assert_eq!(v.to_bytes(), b);
                prop_assert_eq!(secret::Object::from_json(&v.to_json()).unwrap(), v);
            }
        } else if let Ok(v) = mt::Object::from_bytes(&b) {
            prop_assert_eq!(v.to_bytes(), b);
            prop_assert_eq!(mt::Object::from_json(&v.to_json()).unwrap(), v);
        }
    }

    /// Catches panics and over-allocation on arbitrary bytes.
    #[test]
    fn arbitrary_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = mt::Object::read(&mut Reader::new(&b), &mut Ctx::new());
        let _ = secret::Object::read(&mut Reader::new(&b), &mut Ctx::new());
    }

    /// Round-trips generated container values through bytes and JSON.
    #[test]
    fn containers_round_trip(ids in prop::collection::vec(any::<i64>(), 0..20), pings in prop::collection::vec(any::<i64>(), 0..20)) {
        let c = mt::types::MsgContainer {
            messages: pings.iter().map(|&p| mt::types::Message {
                msg_id: p,
                seqno: 3,
                body: Box::new(mt::Object::Ping(mt::functions::Ping { ping_id: p })),
            }).chain(std::iter::once(mt::types::Message {
                msg_id: 0,
                seqno: 0,
                body: Box::new(mt::Object::MsgsAck(mt::types::MsgsAck { msg_ids: ids.clone() })),
            })).collect(),
        };
        let obj = mt::Object::MsgContainer(c);
        prop_assert_eq!(&mt::Object::from_bytes(&obj.to_bytes()).unwrap(), &obj);
        prop_assert_eq!(&mt::Object::from_json(&obj.to_json()).unwrap(), &obj);
    }
}

#[test]
fn identifiable_ids_match_the_schema() {
    assert_eq!(mt::types::MsgContainer::CONSTRUCTOR_ID, 0x73f1_f8dc);
    assert_eq!(mt::types::GzipPacked::CONSTRUCTOR_ID, 0x3072_cfa1);
    assert_eq!(
        secret::types::DecryptedMessageLayer::CONSTRUCTOR_ID,
        0x1be3_1789
    );
}
