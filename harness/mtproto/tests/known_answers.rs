//! Known answers from sources independent of this crate (spec §1.2, §1.3, §11.2).

use mtproto::envelope::{self, Message};
use mtproto::{AuthKey, Direction, Receiver};

use crate::support::{h, key_0_255};

/// grammers `encrypt_data_v2` known answer (spec §11.2): a raw 45-byte plaintext plus 19 zero
/// bytes of padding, sealed client-to-server under auth_key 0x00..0xff.
#[test]
fn grammers_encrypt_hello_world() {
    let mut plaintext = b"Hello, world! This data should remain secure!".to_vec();
    plaintext.resize(64, 0);
    let packet = envelope::seal(&key_0_255(), Direction::ClientToServer, &plaintext).unwrap();
    assert_eq!(
        hex::encode(&packet),
        "32d1586ea457dfc8a81729d46db54019a2bfd7f744f9b96c4f716cfdc4477db2\
         a2c15f6ddb85235fb9552f1d8407c6aaea00cc844c5a1bf6ac44b79b5edc2a23\
         868b3d6073a590992c0f2975243d563ea180d218ee757c9a"
    );
    // The server opens it, and the msg_key check passes, but this plaintext is not an MTProto
    // message: its "length" field is ASCII, so R5 must reject it.
    let opened = envelope::open(&key_0_255(), Receiver::Server, &packet).unwrap();
    assert_eq!(opened.as_bytes(), &plaintext[..]);
    assert_eq!(
        opened.parse().unwrap_err().to_string().split(':').next(),
        Some("LengthOutOfRange")
    );
}

const REAL_KEY: &str = "
5d2e7d65f49ec28bd029a88761ea27b8a4c79f12226525443e7d7c596ef33035
30db2107e89aa997c7a0164ab694187adeff156bd6ef7118a1962347753c0e7e
89a0354b8ec364f9997e71bc6923fb86e8e43491e010606a6ce845e2fa019409
77ef0aa32adf5a97dbf6d428ec0434d717a2d3ad19622cc05887642113c7965f
fb862a3e3ccb0ab95addda57f89245dbd76b492348f8e94bd5a7c0e0b8480852
3cfd1ea80b32fe9ad198bc2e103fceb7d52492ecc0273a28674bc923eee59265
ab17a002df1f4aa2c59b819a5e5e1d105ec117336f5c76c6b187037d4b4270ce
e9cc21071d97e9bca220c6d7b01b998cf2e5cdb9a50ecda1852a36e635690c8e";

const REAL_PACKET: &str = "
7a7183c2c10e4f4df945fa9a9abd35e7c3840b61f045304f39674c19c0e20978
4f50f6226a073529d675c92cbf0bfa8c99a79b3f39c72a5d9a026d431ab7407c
a04ecc55187d6c45f17871524edd90cea02ed728e14d7cb18aea2a636158f094
59a9437710d894c79f368c4e8164b7647ea98612aefe942c5d92121acb8db02d
ccceb66d0f8720ac12a06db0582bfd955be34f365118e3bab8cd080ce6b45b28
eac56dcd2a29374e";

const REAL_PLAINTEXT: &str = "
fc826a02248b28fd60f2c4822443ad6801f0c1c2918b305e0200000058000000
dcf8f1730200000001a8c1c2918b305e010000001c0000000809c29ec4fd33ad
918b305e18a88ea607ee5816fc826a02248b28fd01ccc1c2918b305e02000000
14000000c5737734c4fd33ad918b305e6408300000000000fce66704a3cd8ee9
d0ae6fab672c60c04a3f1fd4490e51f6";

/// A real server packet captured by grammers (spec §11.2): the client must accept it.
#[test]
fn real_server_packet_is_accepted_by_a_client() {
    let key = AuthKey::from_slice(&h(REAL_KEY)).unwrap();
    let packet = h(REAL_PACKET);
    let session = i64::from_le_bytes(h("60f2c4822443ad68").try_into().unwrap());
    let m = envelope::decrypt(&key, Receiver::Client, session, &packet).unwrap();
    assert_eq!(m.plaintext(), &h(REAL_PLAINTEXT)[..]);
    assert_eq!(m.salt.to_le_bytes().to_vec(), h("fc826a02248b28fd"));
    assert_eq!(m.msg_id, 0x5e30_8b91_c2c1_f001);
    assert_eq!(m.seq_no, 2);
    assert_eq!(m.body().len(), 88);
    assert_eq!(m.padding().len(), 24);
    // The body is a msg_container (0x73f1f8dc) of two messages.
    assert_eq!(&m.body()[..8], &h("dcf8f17302000000")[..]);

    // Re-encrypting the same plaintext server-to-client gives the same packet.
    let again = envelope::seal(&key, Direction::ServerToClient, m.plaintext()).unwrap();
    assert_eq!(again, packet);
    // And the structured encrypt agrees.
    let again = envelope::encrypt(
        &key,
        Direction::ServerToClient,
        &Message {
            salt: m.salt,
            session_id: m.session_id,
            msg_id: m.msg_id,
            seq_no: m.seq_no,
            body: m.body(),
        },
        m.padding(),
    )
    .unwrap();
    assert_eq!(again, packet);
}

/// The same real packet is not for a server (wrong x) and not for another session.
#[test]
fn real_server_packet_is_rejected_by_the_wrong_receiver_or_session() {
    let key = AuthKey::from_slice(&h(REAL_KEY)).unwrap();
    let packet = h(REAL_PACKET);
    let session = i64::from_le_bytes(h("60f2c4822443ad68").try_into().unwrap());
    assert_eq!(
        envelope::decrypt(&key, Receiver::Server, session, &packet).unwrap_err(),
        mtproto::EnvelopeError::MsgKeyMismatch
    );
    assert_eq!(
        envelope::decrypt(&key, Receiver::Client, session ^ 1, &packet).unwrap_err(),
        mtproto::EnvelopeError::SessionIdMismatch
    );
    assert_eq!(
        envelope::decrypt(&key_0_255(), Receiver::Client, session, &packet).unwrap_err(),
        mtproto::EnvelopeError::AuthKeyIdMismatch
    );
}
