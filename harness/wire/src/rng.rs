//! The shell's randomness: a SHA-256 counter generator. Seeded from a case (reproducible runs) or
//! from the OS (`/dev/urandom`) for drivers that are given no seed. The reference takes every
//! random byte as an argument; this is where they come from.

use sha2::{Digest, Sha256};

/// A deterministic byte generator: block `i` is `SHA-256(seed ‖ i)`.
#[derive(Clone, Debug)]
pub struct Rng {
    seed: [u8; 32],
    counter: u64,
    buf: [u8; 32],
    used: usize,
}

impl Rng {
    /// A generator for `seed`.
    pub fn from_seed(seed: u64) -> Self {
        let s: [u8; 32] = Sha256::digest(seed.to_le_bytes()).into();
        Self {
            seed: s,
            counter: 0,
            buf: [0; 32],
            used: 32,
        }
    }

    /// A generator seeded from `/dev/urandom`, or from the time and process id if it cannot be read.
    pub fn from_os() -> Self {
        use std::io::Read;
        let mut b = [0u8; 8];
        let ok = std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut b))
            .is_ok();
        if !ok {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            b = (t as u64 ^ u64::from(std::process::id())).to_le_bytes();
        }
        Self::from_seed(u64::from_le_bytes(b))
    }

    /// Fill `out`.
    pub fn fill(&mut self, out: &mut [u8]) {
        for o in out.iter_mut() {
            if self.used >= 32 {
                self.buf = Sha256::new()
                    .chain_update(self.seed)
                    .chain_update(self.counter.to_le_bytes())
                    .finalize()
                    .into();
                self.counter = self.counter.wrapping_add(1);
                self.used = 0;
            }
            *o = self.buf.get(self.used).copied().unwrap_or(0);
            self.used += 1;
        }
    }

    /// `N` random bytes.
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        self.fill(&mut b);
        b
    }

    /// `n` random bytes.
    pub fn vec(&mut self, n: usize) -> Vec<u8> {
        let mut b = vec![0u8; n];
        self.fill(&mut b);
        b
    }

    /// A random `u64`.
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.bytes())
    }

    /// A random `i64`.
    pub fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.bytes())
    }
}
