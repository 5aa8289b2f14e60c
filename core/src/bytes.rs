//! Byte searches eight bytes at a time, for the readers that scan large texts (a multistatus's
//! calendar data, JSON strings): a word of eight bytes is tested for a byte at once, and only a
//! word that may hold one is looked at byte by byte. The WebAssembly build has no vector
//! instructions and is optimised for size, so a byte-by-byte loop (or a slice comparison at
//! every position) is what it would run otherwise: finding the `]]>` that ends a CDATA section
//! that way was a third of a sync's module time on Cyrus, which sends its calendar data as CDATA.

/// A byte of 1 in every lane.
pub(crate) const ONES: u64 = u64::from_ne_bytes([1; 8]);
/// The high bit of every lane.
const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// Non-zero when a byte of `w` is below `n` (`n` at most 0x80). Exact as to whether any is, not
/// as to which: a lane above one that is below may be marked too.
#[inline(always)]
pub(crate) fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH
}

/// Non-zero when a byte of `w` is `b` (as [`below`]: exact as to whether any is).
#[inline(always)]
pub(crate) fn has_byte(w: u64, b: u8) -> u64 {
    below(w ^ (ONES * u64::from(b)), 1)
}

/// The eight bytes at `i` as one word, when there are eight: one load once inlined.
#[inline(always)]
pub(crate) fn word_at(bytes: &[u8], i: usize) -> Option<u64> {
    let chunk: &[u8; 8] = bytes.get(i..i.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_ne_bytes(*chunk))
}

/// The position of the first `b` in `bytes`.
pub(crate) fn find_byte(bytes: &[u8], b: u8) -> Option<usize> {
    let mut i = 0;
    while let Some(w) = word_at(bytes, i) {
        if has_byte(w, b) != 0 {
            break;
        }
        i += 8;
    }
    bytes
        .get(i..)?
        .iter()
        .position(|&x| x == b)
        .map(|at| i + at)
}

/// The first position of `needle` in `haystack`: its first byte searched for with
/// [`find_byte`], the rest compared where it is found.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut i = 0;
    while let Some(at) = find_byte(haystack.get(i..)?, first) {
        let at = i + at;
        if haystack.get(at + 1..)?.starts_with(rest) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word searches against plain iterator searches, at every offset and length around
    /// the word boundaries, among bytes a wrong lane test would take for the ones searched for
    /// (one bit away: `=` and `;` from `<`, `<` and `]` with the high bit set; 0x00, 0x7F,
    /// 0xFF, LF).
    #[test]
    fn word_searches_agree_with_plain_ones() {
        let alphabet = [
            b'a', b']', b'>', b'\\', b'^', 0x00, 0x7F, 0x80, 0xFF, b'<', b'=', b';', 0xBC, 0xDD,
            b'\n',
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for len in 0..40 {
            for _ in 0..50 {
                let text: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        alphabet[(seed % alphabet.len() as u64) as usize]
                    })
                    .collect();
                for from in 0..=len {
                    for b in [b']', b'<', 0x00, 0xFF, 0x80] {
                        let want = text[from..].iter().position(|&x| x == b).map(|p| from + p);
                        let got = find_byte(&text[from..], b).map(|p| from + p);
                        assert_eq!(got, want, "{text:?} {from} {b}");
                    }
                    for needle in [&b"]]>"[..], b"<", b"\\^", b""] {
                        let want = (!needle.is_empty())
                            .then(|| {
                                text[from..]
                                    .windows(needle.len())
                                    .position(|w| w == needle)
                                    .map(|p| from + p)
                            })
                            .flatten();
                        let got = find(&text[from..], needle).map(|p| from + p);
                        assert_eq!(got, want, "{text:?} {from} {needle:?}");
                    }
                }
            }
        }
        assert_eq!(find_byte(b"", b'a'), None);
        assert_eq!(find(b"ab", b"abc"), None);
    }

    #[test]
    fn below_marks_a_word_with_a_small_byte() {
        assert_eq!(below(u64::from_ne_bytes(*b"abcdefgh"), 0x20), 0);
        assert_ne!(below(u64::from_ne_bytes(*b"abc\ndefg"), 0x20), 0);
        assert_ne!(below(u64::from_ne_bytes(*b"abcdefg\x1F"), 0x20), 0);
        assert_eq!(
            below(
                u64::from_ne_bytes([0x20, 0x80, 0xFF, 0x7F, 0x21, 0x40, 0x90, 0xA0]),
                0x20
            ),
            0
        );
    }
}
