//! Line folding (RFC 5545 §3.1, RFC 6350 §3.2): writing at 75 octets, unfolding raw bytes.

/// Octets per physical line when folding (RFC 5545 §3.1, RFC 6350 §3.2).
pub const FOLD_OCTETS: usize = 75;

/// Folds `line` at [`FOLD_OCTETS`] octets (never inside a UTF-8 character) and appends it with
/// CRLF. A CR or LF in it is left out: a line read from text never holds one (a lone CR is
/// left out when read), so it came from a caller (a raw value, a name, a group: only TEXT and
/// parameter values are escaped), and written it would end the line where a reader splits,
/// the rest read as a content line of its own (`STATUS:x` + CRLF + `ATTENDEE:...`).
pub fn fold_into(line: &str, out: &mut String) {
    if line.bytes().any(|b| b == b'\r' || b == b'\n') {
        let mut kept = String::with_capacity(line.len());
        for c in line.chars() {
            if c != '\r' && c != '\n' {
                kept.push(c);
            }
        }
        return fold_into(&kept, out);
    }
    if line.len() <= FOLD_OCTETS {
        out.push_str(line);
        out.push_str("\r\n");
        return;
    }
    let mut rest = line;
    let mut limit = FOLD_OCTETS;
    let mut first = true;
    while !rest.is_empty() {
        if !first {
            out.push(' ');
        }
        let mut cut = limit.min(rest.len());
        while cut > 0 && !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if cut == 0 {
            // cannot happen with limit >= 4, but never loop forever
            cut = rest.len();
        }
        let (head, tail) = rest.split_at(cut);
        out.push_str(head);
        out.push_str("\r\n");
        rest = tail;
        first = false;
        limit = FOLD_OCTETS - 1;
    }
}

/// Removes every fold (line break followed by one space or tab) from raw bytes.
pub fn unfold_bytes(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b == b'\r'
            && input.get(i + 1) == Some(&b'\n')
            && matches!(input.get(i + 2), Some(b' ' | b'\t'))
        {
            i += 3;
            continue;
        }
        if b == b'\n' && matches!(input.get(i + 1), Some(b' ' | b'\t')) {
            i += 2;
            continue;
        }
        out.push(b);
        i += 1;
    }
    out
}
