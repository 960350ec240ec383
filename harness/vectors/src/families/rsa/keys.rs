//! Published RSA public keys with the fingerprints their publishers list beside them: the known
//! answers of `RsaFingerprintTest`. The generator checks each against the reference and fails if
//! one differs.

/// One published key: its PKCS#1 PEM, the fingerprint (the `long` as the publisher writes it,
/// i.e. the little-endian reading of `SHA1(...)[12..20]`), what it is and where both come from.
pub struct Published {
    /// The key.
    pub pem: &'static str,
    /// The fingerprint as an unsigned 64-bit number.
    pub fingerprint: u64,
    /// What the key is.
    pub what: &'static str,
    /// Where the key and its fingerprint come from.
    pub origin: &'static str,
}

/// The production key (TDLib's `PublicRsaKeySharedMain.cpp`, the same key as Telegram Android).
pub const PRODUCTION_PEM: &str =
    include_str!("../../../../mtproto/tests/data/telegram_production_rsa.pem");
/// The test-DC key.
pub const TEST_DC_PEM: &str =
    include_str!("../../../../mtproto/tests/data/telegram_test_dc_rsa.pem");

/// Telegram Android, older `tgnet/Handshake.cpp` (the 2018-2020 releases, as forks still carry
/// it): eight keys, four of them under `#ifdef USE_OLD_KEYS`. Telethon 1.45.0
/// (`telethon/crypto/rsa.py`) ships the same eight PEMs without fingerprints; the official
/// samples page's `resPQ` offers two of these fingerprints (`0x0bc35f3509f7b7a5`,
/// `0xc3b42b026ce86b21`).
pub const LEGACY: &[Published] = &[
    Published {
        pem: "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAruw2yP/BCcsJliRoW5eBVBVle9dtjJw+OYED160Wybum9SXtBBLX
riwt4rROd9csv0t0OHCaTmRqBcQ0J8fxhN6/cpR1GWgOZRUAiQxoMnlt0R93LCX/
j1dnVa/gVbCjdSxpbrfY2g2L4frzjJvdl84Kd9ORYjDEAyFnEA7dD556OptgLQQ2
e2iVNq8NZLYTzLp5YpOdO1doK+ttrltggTCy5SrKeLoCPPbOgGsdxJxyz5KKcZnS
Lj16yE5HvJQn0CNpRdENvRUXe6tBP78O39oJ8BTHp9oIjd6XWXAsp2CvK45Ol8wF
XGF710w9lwCGNbmNxNYhtIkdqfsEcwR5JwIDAQAB
-----END RSA PUBLIC KEY-----\n",
        fingerprint: 0x0bc35f3509f7b7a5,
        what: "a legacy key of the 2018-2020 list",
        origin: "Telegram Android tgnet/Handshake.cpp (older releases) fingerprint; PEM also in Telethon 1.45.0 telethon/crypto/rsa.py",
    },
    Published {
        pem: "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAvfLHfYH2r9R70w8prHblWt/nDkh+XkgpflqQVcnAfSuTtO05lNPs
pQmL8Y2XjVT4t8cT6xAkdgfmmvnvRPOOKPi0OfJXoRVylFzAQG/j83u5K3kRLbae
7fLccVhKZhY46lvsueI1hQdLgNV9n1cQ3TDS2pQOCtovG4eDl9wacrXOJTG2990V
jgnIKNA0UMoP+KF03qzryqIt3oTvZq03DyWdGK+AZjgBLaDKSnC6qD2cFY81UryR
WOab8zKkWAnhw2kFpcqhI0jdV5QaSCExvnsjVaX0Y1N0870931/5Jb9ICe4nweZ9
kSDF/gip3kWLG0o8XQpChDfyvsqB9OLV/wIDAQAB
-----END RSA PUBLIC KEY-----\n",
        fingerprint: 0x15ae5fa8b5529542,
        what: "a legacy key of the 2018-2020 list",
        origin: "Telegram Android tgnet/Handshake.cpp (older releases) fingerprint; PEM also in Telethon 1.45.0 telethon/crypto/rsa.py",
    },
    Published {
        pem: "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAs/ditzm+mPND6xkhzwFIz6J/968CtkcSE/7Z2qAJiXbmZ3UDJPGr
zqTDHkO30R8VeRM/Kz2f4nR05GIFiITl4bEjvpy7xqRDspJcCFIOcyXm8abVDhF+
th6knSU0yLtNKuQVP6voMrnt9MV1X92LGZQLgdHZbPQz0Z5qIpaKhdyA8DEvWWvS
Uwwc+yi1/gGaybwlzZwqXYoPOhwMebzKUk0xW14htcJrRrq+PXXQbRzTMynseCoP
Ioke0dtCodbA3qQxQovE16q9zz4Otv2k4j63cz53J+mhkVWAeWxVGI0lltJmWtEY
K6er8VqqWot3nqmWMXogrgRLggv/NbbooQIDAQAB
-----END RSA PUBLIC KEY-----\n",
        fingerprint: 0xaeae98e13cd7f94f,
        what: "a legacy key of the 2018-2020 list",
        origin: "Telegram Android tgnet/Handshake.cpp (older releases) fingerprint; PEM also in Telethon 1.45.0 telethon/crypto/rsa.py",
    },
    Published {
        pem: "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAvmpxVY7ld/8DAjz6F6q05shjg8/4p6047bn6/m8yPy1RBsvIyvuD
uGnP/RzPEhzXQ9UJ5Ynmh2XJZgHoE9xbnfxL5BXHplJhMtADXKM9bWB11PU1Eioc
3+AXBB8QiNFBn2XI5UkO5hPhbb9mJpjA9Uhw8EdfqJP8QetVsI/xrCEbwEXe0xvi
fRLJbY08/Gp66KpQvy7g8w7VB8wlgePexW3pT13Ap6vuC+mQuJPyiHvSxjEKHgqe
Pji9NP3tJUFQjcECqcm0yV7/2d0t/pbCm+ZH1sadZspQCEPPrtbkQBlvHb4OLiIW
PGHKSMeRFvp3IWcmdJqXahxLCUS1Eh6MAQIDAQAB
-----END RSA PUBLIC KEY-----\n",
        fingerprint: 0x5a181b2235057d98,
        what: "a legacy key of the 2018-2020 list",
        origin: "Telegram Android tgnet/Handshake.cpp (older releases) fingerprint; PEM also in Telethon 1.45.0 telethon/crypto/rsa.py",
    },
    Published {
        pem: "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAwVACPi9w23mF3tBkdZz+zwrzKOaaQdr01vAbU4E1pvkfj4sqDsm6
lyDONS789sVoD/xCS9Y0hkkC3gtL1tSfTlgCMOOul9lcixlEKzwKENj1Yz/s7daS
an9tqw3bfUV/nqgbhGX81v/+7RFAEd+RwFnK7a+XYl9sluzHRyVVaTTveB2GazTw
Efzk2DWgkBluml8OREmvfraX3bkHZJTKX4EQSjBbbdJ2ZXIsRrYOXfaA+xayEGB+
8hdlLmAjbCVfaigxX0CDqWeR1yFL9kwd9P0NsZRPsmoqVwMbMu7mStFai6aIhc3n
Slv8kg9qv1m6XHVQY3PnEw+QQtqSIXklHwIDAQAB
-----END RSA PUBLIC KEY-----\n",
        fingerprint: 0xc3b42b026ce86b21,
        what: "a legacy key (the USE_OLD_KEYS block)",
        origin: "Telegram Android tgnet/Handshake.cpp (older releases) fingerprint; PEM also in Telethon 1.45.0 telethon/crypto/rsa.py",
    },
    Published {
        pem: "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAxq7aeLAqJR20tkQQMfRn+ocfrtMlJsQ2Uksfs7Xcoo77jAid0bRt
ksiVmT2HEIJUlRxfABoPBV8wY9zRTUMaMA654pUX41mhyVN+XoerGxFvrs9dF1Ru
vCHbI02dM2ppPvyytvvMoefRoL5BTcpAihFgm5xCaakgsJ/tH5oVl74CdhQw8J5L
xI/K++KJBUyZ26Uba1632cOiq05JBUW0Z2vWIOk4BLysk7+U9z+SxynKiZR3/xdi
XvFKk01R3BHV+GUKM2RYazpS/P8v7eyKhAbKxOdRcFpHLlVwfjyM1VlDQrEZxsMp
NTLYXb6Sce1Uov0YtNx5wEowlREH1WOTlwIDAQAB
-----END RSA PUBLIC KEY-----\n",
        fingerprint: 0x9a996a1db11c729b,
        what: "a legacy key (the USE_OLD_KEYS block)",
        origin: "Telegram Android tgnet/Handshake.cpp (older releases) fingerprint; PEM also in Telethon 1.45.0 telethon/crypto/rsa.py",
    },
    Published {
        pem: "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAsQZnSWVZNfClk29RcDTJQ76n8zZaiTGuUsi8sUhW8AS4PSbPKDm+
DyJgdHDWdIF3HBzl7DHeFrILuqTs0vfS7Pa2NW8nUBwiaYQmPtwEa4n7bTmBVGsB
1700/tz8wQWOLUlL2nMv+BPlDhxq4kmJCyJfgrIrHlX8sGPcPA4Y6Rwo0MSqYn3s
g1Pu5gOKlaT9HKmE6wn5Sut6IiBjWozrRQ6n5h2RXNtO7O2qCDqjgB2vBxhV7B+z
hRbLbCmW0tYMDsvPpX5M8fsO05svN+lKtCAuz1leFns8piZpptpSCFn7bWxiA9/f
x5x17D7pfah3Sy2pA+NDXyzSlGcKdaUmwQIDAQAB
-----END RSA PUBLIC KEY-----\n",
        fingerprint: 0xb05b2a6f70cdea78,
        what: "a legacy key (the USE_OLD_KEYS block)",
        origin: "Telegram Android tgnet/Handshake.cpp (older releases) fingerprint; PEM also in Telethon 1.45.0 telethon/crypto/rsa.py",
    },
    Published {
        pem: "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAwqjFW0pi4reKGbkc9pK83Eunwj/k0G8ZTioMMPbZmW99GivMibwa
xDM9RDWabEMyUtGoQC2ZcDeLWRK3W8jMP6dnEKAlvLkDLfC4fXYHzFO5KHEqF06i
qAqBdmI1iBGdQv/OQCBcbXIWCGDY2AsiqLhlGQfPOI7/vvKc188rTriocgUtoTUc
/n/sIUzkgwTqRyvWYynWARWzQg0I9olLBBC2q5RQJJlnYXZwyTL3y9tdb7zOHkks
WV9IMQmZmyZh/N7sMbGWQpt4NMchGpPGeJ2e5gHBjDnlIf2p1yZOYeUYrdbwcS0t
UiggS4UeE8TzIuXFQxw7fzEIlmhIaq3FnwIDAQAB
-----END RSA PUBLIC KEY-----\n",
        fingerprint: 0x71e025b6c76033e3,
        what: "a legacy key (the USE_OLD_KEYS block)",
        origin: "Telegram Android tgnet/Handshake.cpp (older releases) fingerprint; PEM also in Telethon 1.45.0 telethon/crypto/rsa.py",
    },
];

/// The keys of current Telegram Android builds, with the fingerprints the source lists.
pub const ANDROID: &[Published] = &[
    Published {
        pem: PRODUCTION_PEM,
        fingerprint: 0xd09d_1d85_de64_fd85,
        what: "the production key",
        origin: "Telegram Android tgnet/Handshake.cpp (vincent-163/Telegram c1c28214119da2c3fa36a73ea861374cd7081022); grammers-mtproto 0.11.0 and GramJS 2.26.22 list it as -3414540481677951611 with n in decimal; the official samples page's resPQ offers it",
    },
    Published {
        pem: TEST_DC_PEM,
        fingerprint: 0xb258_98df_208d_2603,
        what: "the test-DC key",
        origin: "Telegram Android tgnet/Handshake.cpp (DrKLO/Telegram 161f2632548e05d0413cf3a63ad849d6f984c281, testBackend); grammers-mtproto 0.11.0 and GramJS 2.26.22 list it as -5595554452916591101 with n in decimal",
    },
    Published {
        pem: "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAxF//0M0+/5PzgdNagTX+J+dJgr75ZCTuiG8i4x7YwmJF+jiOGCjm
7X7BLCaMc1+hOZYDL3+Gvle/AKykW1qouaCJMVx/H+2l8LFXLelZ2PLawTb8A7Bl
TqWzL3db5BugMNWziL9TuhR8In1bwKY07QVpR9in5zjAsAGLBk+mGt0DnVyMf1Xo
p2lLCFNmm0F4ykcAeaLCCIPbGWddliLY8xEEhI4GO2l1U3kZMwIOdOnAGJFtgUAo
Te+FHR6F1s9adCVZB1teL/hf9R+WmekJwygVz0MYEH7y6U49T45+/W7OF6X6g0W0
j1uSSrsY4qN7twxbTad9zdGZ7ys+9v+PuQIDAQAB
-----END RSA PUBLIC KEY-----\n",
        fingerprint: 0x9dbe5a4c45febeff,
        what: "the key of current Telegram Android production builds",
        origin: "Telegram Android tgnet/Handshake.cpp (DrKLO/Telegram 161f2632548e05d0413cf3a63ad849d6f984c281)",
    },
    Published {
        pem: "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAvKLEOWTzt9Hn3/9Kdp/RdHcEhzmd8xXeLSpHIIzaXTLJDw8BhJy1
jR/iqeG8Je5yrtVabqMSkA6ltIpgylH///FojMsX1BHu4EPYOXQgB0qOi6kr08iX
ZIH9/iOPQOWDsL+Lt8gDG0xBy+sPe/2ZHdzKMjX6O9B4sOsxjFrk5qDoWDrioJor
AJ7eFAfPpOBf2w73ohXudSrJE0lbQ8pCWNpMY8cB9i8r+WBitcvouLDAvmtnTX7a
khoDzmKgpJBYliAY4qA73v7u5UIepE8QgV0jCOhxJCPubP8dg+/PlLLVKyxU5Cdi
QtZj2EMy4s9xlNKzX8XezE0MHEa6bQpnFwIDAQAB
-----END RSA PUBLIC KEY-----\n",
        fingerprint: 0xa9e071c1771060cd,
        what: "a key of 2020-2022 Telegram Android builds",
        origin: "Telegram Android tgnet/Handshake.cpp (erupakov/Telegram 089ea55c6cb6c8eb1e62e47975d801231e5dac36, nekohasekai/Telegram 3e032ecff845edd332eda3ac0f0a6c21746d9f05)",
    },
];
