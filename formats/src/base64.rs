//! Base64 (RFC 4648): the standard alphabet with padding (§4: vCard 3.0 `ENCODING=b` values,
//! `data:` URIs, HTTP Basic credentials) and the URL-safe alphabet without padding (§5: the
//! OAuth PKCE verifier and challenge, RFC 7636).
//!
//! The few lines the project needs, written here rather than taken from the `base64` crate,
//! whose general engine was about 4.5 KB of each npm module that links vCard or Basic
//! credentials. The `base64` crate stays as the tests' oracle (`base64/tests.rs`): every
//! encoding, and every decoding of generated and mutated text, is compared with it.

/// RFC 4648 §4's alphabet.
const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// RFC 4648 §5's alphabet (URL and file name safe).
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `data` in the standard alphabet, padded with `=` to a multiple of four characters.
pub fn encode(data: &[u8]) -> String {
    encode_with(data, STANDARD, true)
}

/// `data` in the URL-safe alphabet, without padding (RFC 7636's `BASE64URL`).
pub fn encode_url_safe_unpadded(data: &[u8]) -> String {
    encode_with(data, URL_SAFE, false)
}

fn encode_with(data: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let mut group = [0u8; 3];
        group[..chunk.len()].copy_from_slice(chunk);
        let bits = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
        // n bytes fill n + 1 symbols; the rest of the four are padding.
        for i in 0..4 {
            if i <= chunk.len() {
                let index = (bits >> (18 - 6 * i)) & 63;
                out.push(char::from(alphabet[index as usize]));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// `text` in the standard alphabet as bytes, with its `=` padding or without it (both are
/// written in vCards); `None` when it is not base64: a character outside the alphabet (white
/// space included: strip it first), a `=` before the end, a length that no bytes encode, or
/// a last symbol whose unused bits are not zero (RFC 4648 §3.5's canonical encoding).
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let symbols = text.trim_end_matches('=').as_bytes();
    if symbols.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3 + 2);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &c in symbols {
        acc = acc << 6 | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (acc == 0).then_some(out)
}

/// A standard-alphabet symbol's six bits.
fn value(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

#[cfg(test)]
mod tests;
