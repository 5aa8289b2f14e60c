//! `memcmp` for the npm package's WebAssembly modules.
//!
//! On `wasm32-unknown-unknown` there is no C library: the standard library's
//! `compiler_builtins` gives `memcmp` as a loop over bytes (and `bcmp`, which LLVM calls for
//! `==` on slices, as a call of `memcmp`), and
//! every comparison of two strings or byte slices in the module calls it: `Ord` and `==` on
//! `String` and `str`, and so every B-tree search of the core's `BTreeMap<String, usize>`
//! index. Stored sync states and multistatus answers have hrefs that share a long prefix
//! (`https://host/user/calendars/name/` and more), so those searches compare 40-60 equal bytes
//! a time. [`compare`] does it eight bytes at a time. `compiler_builtins` marks its symbols
//! weak, so this strong `memcmp` takes the place of its own when the module is linked (its
//! `bcmp` then calls this one); on other targets
//! this crate defines nothing but [`compare`] (the C library's `memcmp` stays).
//!
//! `#![no_builtins]`: LLVM must not turn the comparison loop back into a `memcmp` call.

#![no_std]
#![no_builtins]

/// Compares two byte slices as `memcmp` does: `0` when equal, else the difference of the first
/// differing bytes (as unsigned values); only the shorter length is compared.
pub fn compare(a: &[u8], b: &[u8]) -> i32 {
    #[allow(unsafe_code)]
    // SAFETY: both slices are readable for the shorter length.
    unsafe {
        compare_raw(a.as_ptr(), b.as_ptr(), a.len().min(b.len()))
    }
}

/// [`compare`] over `n` bytes at `a` and `b`: words of eight bytes while they last (unaligned
/// loads, which WebAssembly allows), then bytes. A plain loop over pointers: the slice
/// iterators it was written with first were not inlined at the module's opt-level "z" and were
/// slower than the byte loop this replaces.
///
/// # Safety
/// `a` and `b` are readable for `n` bytes.
#[allow(unsafe_code)]
unsafe fn compare_raw(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n.
        let (x, y) = unsafe {
            (
                a.add(i).cast::<u64>().read_unaligned(),
                b.add(i).cast::<u64>().read_unaligned(),
            )
        };
        if x != y {
            // Read as little-endian words (wasm32 and the tests' x86-64 and ARM64): the first
            // differing byte is the lowest one of `x ^ y`.
            let (x, y) = (u64::from_le(x), u64::from_le(y));
            let shift = (x ^ y).trailing_zeros() & !7;
            return i32::from((x >> shift) as u8) - i32::from((y >> shift) as u8);
        }
        i += 8;
    }
    while i < n {
        // SAFETY: i < n.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

#[cfg(target_arch = "wasm32")]
mod symbols {
    #![allow(unsafe_code)]

    /// `memcmp(a, b, n)`: [`compare`](crate::compare) over the `n` bytes at `a` and `b`.
    ///
    /// # Safety
    /// As C's `memcmp`: `a` and `b` are valid for reads of `n` bytes.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        // SAFETY: the caller's contract, as C's memcmp.
        unsafe { crate::compare_raw(a, b, n) }
    }
}

#[cfg(test)]
mod tests {
    use super::compare;

    /// The sign `memcmp` must give for `a` against `b` (equal lengths).
    fn expected(a: &[u8], b: &[u8]) -> i32 {
        match a.iter().zip(b).find(|(x, y)| x != y) {
            Some((&x, &y)) => i32::from(x) - i32::from(y),
            None => 0,
        }
    }

    #[test]
    fn agrees_with_a_byte_loop_at_every_length_and_place() {
        // Every length up to 40 (word and tail), a difference at every place with bytes below
        // and above 0x80 (unsigned order), and equal inputs.
        let base: [u8; 40] = core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
        for n in 0..=base.len() {
            let a = &base[..n];
            assert_eq!(compare(a, a), 0);
            for at in 0..n {
                for delta in [1u8, 0x7f, 0x80, 0xff] {
                    let mut b = [0u8; 40];
                    b[..n].copy_from_slice(a);
                    b[at] = b[at].wrapping_add(delta);
                    let b = &b[..n];
                    assert_eq!(compare(a, b), expected(a, b), "n {n} at {at} delta {delta}");
                    assert_eq!(compare(b, a), expected(b, a), "n {n} at {at} delta {delta}");
                    // Only the first difference counts.
                    if at + 1 < n {
                        let mut c = [0u8; 40];
                        c[..n].copy_from_slice(b);
                        c[n - 1] = c[n - 1].wrapping_sub(delta);
                        assert_eq!(compare(a, &c[..n]).signum(), expected(a, &c[..n]).signum());
                    }
                }
            }
        }
    }

    #[test]
    fn orders_strings_as_ord_does() {
        let hrefs = [
            "https://dav.example.com/alice/calendars/work/event-00012.ics",
            "https://dav.example.com/alice/calendars/work/event-00102.ics",
            "https://dav.example.com/alice/calendars/work/event-0012.ics",
            "https://dav.example.com/alice/calendars/work/",
            "https://dav.example.com/alice/calendars/work/\u{e9}t\u{e9}.ics",
        ];
        for a in hrefs {
            for b in hrefs {
                let n = a.len().min(b.len());
                let by_prefix = compare(a.as_bytes(), b.as_bytes()).signum();
                let want = a.as_bytes()[..n].cmp(&b.as_bytes()[..n]) as i32;
                assert_eq!(by_prefix, want, "{a} {b}");
            }
        }
    }
}
