//! Test helpers shared by davkit's crates: a dev-dependency of the core's tests (the
//! simulation, the scheduling interleavings), the formats' differential tests and the
//! benchmarks' generated data, [`block_on`] for futures that never wait, and JSON read with
//! its objects in order ([`ordered_json`]). Never a dependency of shipped code.

pub mod ordered_json;

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Runs a future whose every await is ready at once (a replay, a script, the simulated or
/// in-memory transport): polls it with a waker that does nothing until it is ready. Panics
/// after a million polls that were all pending (a future that waits for something outside
/// would otherwise spin for ever: a bug in the test).
#[allow(clippy::panic)] // a test helper reports a failure by panicking
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
    panic!("block_on: the future was still pending after a million polls");
}

/// A small seeded generator (splitmix64: Steele, Lea, Flood 2014): tiny, fast, good enough
/// for test decisions and generated data. The same seed gives the same numbers on every
/// machine, so a failing simulation seed replays bit for bit and a benchmark parses the same
/// bytes on every run.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    /// An independent stream for one part of a test (faults, devices, the app).
    pub fn fork(&mut self, salt: u64) -> Rng {
        Rng(self.next_u64() ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u32) -> bool {
        self.next_u64() % 1000 < u64::from(per_mille)
    }

    /// One element of a slice, `None` when it is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }

    /// One element of a slice the test knows is not empty (panics on an empty one: a bug in
    /// the test).
    pub fn one<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.below(items.len());
        &items[i]
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn a_seed_replays_and_stays_in_range() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        let xs: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Rng::new(8).next_u64(), xs[0]);
        let mut r = Rng::new(1);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let n = r.range(3, 7);
            assert!((3..=7).contains(&n));
            seen[n - 3] = true;
        }
        assert!(
            seen.iter().all(|s| *s),
            "every value of a small range comes up"
        );
        assert_eq!(r.below(0), 0);
        assert_eq!(r.pick::<u8>(&[]), None);
        assert_eq!(*r.one(&[42]), 42);
    }
}
