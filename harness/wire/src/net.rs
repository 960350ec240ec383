//! Loopback TCP with a deadline on every wait: a listener on 127.0.0.1 only (ephemeral port), and
//! connections whose reads and writes each end by a [`Deadline`]. A peer that closes is
//! [`WireError::Closed`]; a peer that stalls is [`WireError::Timeout`]; nothing blocks forever.

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use crate::error::{Result, WireError};

/// A point in time by which a wait must end, with the budget it was made from (for messages).
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    at: Instant,
    budget: Duration,
}

impl Deadline {
    /// `budget` from now.
    pub fn after(budget: Duration) -> Self {
        Self {
            at: Instant::now() + budget,
            budget,
        }
    }

    /// The earlier of `self` and `budget` from now.
    pub fn min_after(self, budget: Duration) -> Self {
        let other = Self::after(budget);
        if other.at < self.at { other } else { self }
    }

    /// Time left (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Whether the deadline has passed.
    pub fn passed(&self) -> bool {
        self.remaining().is_zero()
    }

    /// The [`WireError::Timeout`] for `what`.
    pub fn timeout(&self, what: &str) -> WireError {
        WireError::Timeout {
            what: what.to_string(),
            after_ms: u64::try_from(self.budget.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// How often a non-blocking accept polls.
const POLL: Duration = Duration::from_millis(2);

/// A listener on 127.0.0.1 with an ephemeral port. Nothing else is ever bound.
#[derive(Debug)]
pub struct Listener {
    inner: TcpListener,
    addr: SocketAddr,
}

impl Listener {
    /// Bind 127.0.0.1:0.
    pub fn bind_loopback() -> Result<Self> {
        Self::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
    }

    /// Bind `addr`, which must be a loopback address.
    pub fn bind(addr: SocketAddr) -> Result<Self> {
        if !addr.ip().is_loopback() {
            return Err(WireError::config(
                "address",
                format!(
                    "{addr} is not a loopback address; the wire harness only listens on 127.0.0.1"
                ),
            ));
        }
        let inner =
            TcpListener::bind(addr).map_err(|e| WireError::io(format!("bind {addr}"), &e))?;
        let addr = inner
            .local_addr()
            .map_err(|e| WireError::io("listener local_addr", &e))?;
        inner
            .set_nonblocking(true)
            .map_err(|e| WireError::io("listener set_nonblocking", &e))?;
        Ok(Self { inner, addr })
    }

    /// The bound address (127.0.0.1:port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Accept one connection by `deadline`. `abort` is polled while waiting: an `Err` it returns
    /// (e.g. "the driver exited") ends the wait early.
    pub fn accept(
        &self,
        deadline: Deadline,
        mut abort: impl FnMut() -> Result<()>,
    ) -> Result<Conn> {
        loop {
            match self.inner.accept() {
                Ok((stream, peer)) => {
                    stream
                        .set_nonblocking(false)
                        .map_err(|e| WireError::io("accepted socket set_nonblocking", &e))?;
                    let _ = stream.set_nodelay(true);
                    return Ok(Conn { stream, peer });
                }
                Err(e)
                    if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted =>
                {
                    abort()?;
                    if deadline.passed() {
                        return Err(deadline.timeout(&format!("a connection on {}", self.addr)));
                    }
                    std::thread::sleep(POLL.min(deadline.remaining()));
                }
                Err(e) => return Err(WireError::io(format!("accept on {}", self.addr), &e)),
            }
        }
    }
}

/// One TCP connection; every read and write is bounded by a [`Deadline`].
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
}

impl Conn {
    /// Connect to `addr`, which must be a loopback address, by `deadline`.
    pub fn connect(addr: SocketAddr, deadline: Deadline) -> Result<Self> {
        if !addr.ip().is_loopback() {
            return Err(WireError::config(
                "address",
                format!("{addr} is not a loopback address; the wire harness only uses 127.0.0.1"),
            ));
        }
        let budget = deadline.remaining();
        if budget.is_zero() {
            return Err(deadline.timeout(&format!("connect to {addr}")));
        }
        let stream = TcpStream::connect_timeout(&addr, budget).map_err(|e| {
            if e.kind() == ErrorKind::TimedOut {
                deadline.timeout(&format!("connect to {addr}"))
            } else {
                WireError::io(format!("connect to {addr}"), &e)
            }
        })?;
        let _ = stream.set_nodelay(true);
        Ok(Self { stream, peer: addr })
    }

    /// The peer's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Read at least one byte into `buf` by `deadline`; `what` names the wait in errors. A read of
    /// zero bytes (the peer closed) is [`WireError::Closed`].
    pub fn read_some(&mut self, buf: &mut [u8], deadline: Deadline, what: &str) -> Result<usize> {
        loop {
            let left = deadline.remaining();
            if left.is_zero() {
                return Err(deadline.timeout(what));
            }
            self.stream
                .set_read_timeout(Some(left))
                .map_err(|e| WireError::io("set_read_timeout", &e))?;
            match self.stream.read(buf) {
                Ok(0) => {
                    return Err(WireError::Closed {
                        during: what.to_string(),
                        pending: 0,
                    });
                }
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                    return Err(deadline.timeout(what));
                }
                Err(e) if is_reset(&e) => {
                    return Err(WireError::Closed {
                        during: what.to_string(),
                        pending: 0,
                    });
                }
                Err(e) => return Err(WireError::io(format!("read ({what})"), &e)),
            }
        }
    }

    /// Read exactly `buf.len()` bytes by `deadline`.
    pub fn read_exact(&mut self, buf: &mut [u8], deadline: Deadline, what: &str) -> Result<()> {
        let mut have = 0;
        while have < buf.len() {
            let rest = buf.get_mut(have..).unwrap_or(&mut []);
            match self.read_some(rest, deadline, what) {
                Ok(n) => have += n,
                Err(WireError::Closed { during, .. }) => {
                    return Err(WireError::Closed {
                        during,
                        pending: have,
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Write all of `data` by `deadline`.
    pub fn write_all(&mut self, data: &[u8], deadline: Deadline, what: &str) -> Result<()> {
        let mut done = 0;
        while done < data.len() {
            let left = deadline.remaining();
            if left.is_zero() {
                return Err(deadline.timeout(what));
            }
            self.stream
                .set_write_timeout(Some(left))
                .map_err(|e| WireError::io("set_write_timeout", &e))?;
            match self.stream.write(data.get(done..).unwrap_or(&[])) {
                Ok(0) => {
                    return Err(WireError::Closed {
                        during: what.to_string(),
                        pending: 0,
                    });
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {
                    return Err(deadline.timeout(what));
                }
                Err(e) if is_reset(&e) => {
                    return Err(WireError::Closed {
                        during: what.to_string(),
                        pending: 0,
                    });
                }
                Err(e) => return Err(WireError::io(format!("write ({what})"), &e)),
            }
        }
        Ok(())
    }

    /// Close both directions (errors ignored: the peer may be gone).
    pub fn close(&self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}

fn is_reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}
