//! A field-level three-way merge of iCalendar (RFC 5545) and vCard (RFC 6350) objects, for
//! [`Policy::Merge`](super::Policy::Merge) and for apps that resolve conflicts themselves.
//!
//! The unit is the property: per component, properties are grouped by name (and, for the ones
//! that repeat with one value each, `ATTENDEE`, `EMAIL`, `TEL`, by value too), and each group
//! takes the side that changed it from the base. A group both sides changed differently is a
//! conflict, and the merge gives up (`None`): the caller keeps both versions. The stamps every
//! edit bumps (`DTSTAMP`, `LAST-MODIFIED`, `REV`, `SEQUENCE`) take the later of the two.
//! Subcomponents (events of a recurring series by `RECURRENCE-ID`, alarms) are matched by name,
//! `UID` and `RECURRENCE-ID`; one added or removed on one side is added or removed.
//!
//! ```
//! use davkit::queue::merge::merge;
//!
//! let base = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Lunch\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
//! // Locally the title changed; on the server an attendee was added.
//! let local = base.replace("SUMMARY:Lunch", "SUMMARY:Team lunch");
//! let server = base.replace("SUMMARY:Lunch", "SUMMARY:Lunch\r\nATTENDEE:mailto:bob@example.com");
//! let merged = merge(base, &local, &server).unwrap();
//! assert!(merged.contains("SUMMARY:Team lunch") && merged.contains("ATTENDEE:mailto:bob@example.com"));
//! // Both sides changed the title: no merge.
//! let other = base.replace("SUMMARY:Lunch", "SUMMARY:Dinner");
//! assert!(merge(base, &local, &other).is_none());
//! ```

use std::collections::BTreeMap;

use crate::contentline::{Component, Property, parse_with_limits, serialize};
use crate::limits::Limits;

/// Properties that repeat, each instance its own value: merged instance by instance.
const KEYED: [&str; 3] = ["ATTENDEE", "EMAIL", "TEL"];
/// Stamps every edit changes: the later one is kept.
const STAMPS: [&str; 3] = ["DTSTAMP", "LAST-MODIFIED", "REV"];

/// Merges `local` and `server`, both edits of `base`: the merged text, or `None` when the two
/// changed the same property differently (or one changed what the other deleted), or a side
/// is not iCalendar or vCard within the default [`Limits`].
pub fn merge(base: &str, local: &str, server: &str) -> Option<String> {
    let limits = Limits::default();
    let parse = |t: &str| parse_with_limits(t, &limits).ok();
    let (b, l, s) = (parse(base)?, parse(local)?, parse(server)?);
    if b.len() != 1 || l.len() != 1 || s.len() != 1 {
        return None;
    }
    let merged = merge_component(&b[0], &l[0], &s[0])?;
    Some(serialize(&[merged]))
}

/// The object's modification time, for [`Policy::NewestWins`](super::Policy::NewestWins): the
/// first event's, to-do's or journal's `LAST-MODIFIED`, else its `DTSTAMP`; a vCard's `REV`.
/// Only UTC times compare (`YYYYMMDDTHHMMSSZ`, or vCard's extended form); else `None`.
pub fn modified(data: &str) -> Option<u64> {
    let comps = parse_with_limits(data, &Limits::default()).ok()?;
    let main = comps.iter().find_map(main_component)?;
    let value = ["LAST-MODIFIED", "DTSTAMP", "REV"]
        .iter()
        .find_map(|n| main.property(n))?
        .raw_value()
        .trim()
        .to_owned();
    if !value.ends_with('Z') {
        return None;
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 14 {
        return None;
    }
    digits.parse().ok()
}

/// The object's UID (the first event's, to-do's or journal's; a vCard's).
pub fn uid(data: &str) -> Option<String> {
    let comps = parse_with_limits(data, &Limits::default()).ok()?;
    let main = comps.iter().find_map(main_component)?;
    let uid = main.property("UID")?.raw_value().trim().to_owned();
    (!uid.is_empty()).then_some(uid)
}

fn main_component(c: &Component) -> Option<&Component> {
    if c.is("VCARD") {
        return Some(c);
    }
    c.components()
        .iter()
        .find(|x| x.is("VEVENT") || x.is("VTODO") || x.is("VJOURNAL"))
}

/// A property group's key: the name (with its vCard group), and the value for the keyed ones.
fn key(p: &Property) -> String {
    let name = p.name().to_ascii_uppercase();
    let group = p.group().map(str::to_ascii_uppercase).unwrap_or_default();
    if KEYED.contains(&name.as_str()) {
        format!("{group}.{name}:{}", p.raw_value().to_ascii_lowercase())
    } else {
        format!("{group}.{name}")
    }
}

/// A component's properties grouped by [`key`], in the order each key first appears, with an
/// index by key (a linear search per property and per key was quadratic: a server copy with
/// 40,000 distinct properties took 9 s to merge).
type Groups = Indexed<Vec<String>>;

/// Values by key, in order, with the index of each key's place.
type Indexed<T> = (Vec<(String, T)>, BTreeMap<String, usize>);

fn groups(c: &Component) -> Groups {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut at: BTreeMap<String, usize> = BTreeMap::new();
    for p in c.properties() {
        let k = key(p);
        match at.get(&k).and_then(|&i| out.get_mut(i)) {
            Some((_, lines)) => lines.push(p.as_str().to_owned()),
            None => {
                at.insert(k.clone(), out.len());
                out.push((k, vec![p.as_str().to_owned()]));
            }
        }
    }
    for (_, lines) in &mut out {
        lines.sort_unstable();
    }
    (out, at)
}

fn get<'a>(groups: &'a Groups, k: &str) -> Option<&'a Vec<String>> {
    groups.0.get(*groups.1.get(k)?).map(|(_, v)| v)
}

fn choose<T: PartialEq + Clone>(b: Option<&T>, l: Option<&T>, s: Option<&T>) -> Option<Option<T>> {
    if l == b {
        Some(s.cloned())
    } else if s == b || l == s {
        Some(l.cloned())
    } else {
        None
    }
}

/// The later of two stamps (by value; SEQUENCE by number).
fn later(name: &str, l: &[String], s: &[String]) -> Vec<String> {
    let value = |lines: &[String]| -> String {
        lines
            .first()
            .and_then(|x| x.split_once(':').map(|(_, v)| v.trim().to_owned()))
            .unwrap_or_default()
    };
    let (a, b) = (value(l), value(s));
    let take_local = if name == "SEQUENCE" {
        a.parse::<u64>().unwrap_or(0) >= b.parse::<u64>().unwrap_or(0)
    } else {
        a >= b
    };
    if take_local { l.to_vec() } else { s.to_vec() }
}

fn merge_component(b: &Component, l: &Component, s: &Component) -> Option<Component> {
    if !l.is(b.name()) || !s.is(b.name()) {
        return None;
    }
    let (gb, gl, gs) = (groups(b), groups(l), groups(s));
    let keys = first_seen([&gl, &gs, &gb]);
    let mut out = Component::new(l.name());
    for k in keys {
        let (vb, vl, vs) = (get(&gb, k), get(&gl, k), get(&gs, k));
        let name = k.split_once('.').map_or(k, |(_, n)| n);
        let chosen = match choose(vb, vl, vs) {
            Some(c) => c,
            None if STAMPS.contains(&name) || name == "SEQUENCE" => match (vl, vs) {
                (Some(a), Some(b)) => Some(later(name, a, b)),
                (a, b) => a.or(b).cloned(),
            },
            None => return None,
        };
        for line in chosen.unwrap_or_default() {
            out.push_property(Property::parse(&line).ok()?);
        }
    }
    let (cb, cl, cs) = (children(b), children(l), children(s));
    for k in first_seen([&cl, &cs, &cb]) {
        let (xb, xl, xs) = (child(&cb, b, k), child(&cl, l, k), child(&cs, s, k));
        let merged = match (xb, xl, xs) {
            (Some(xb), Some(xl), Some(xs)) => Some(merge_component(xb, xl, xs)?),
            _ => {
                // Added, removed or left alone by one side: take that side's. Compared as
                // text only here, where no side is descended into, and copied once (cloning
                // and writing out every child at every level made a merge quadratic in depth
                // times size: 64 levels of 1 MB each side peaked at 290 MB).
                let text = |c: Option<&Component>| {
                    c.map(|c| {
                        let mut t = String::new();
                        c.write_to(&mut t);
                        t
                    })
                };
                let (tb, tl, ts) = (text(xb), text(xl), text(xs));
                if tl == tb {
                    xs.cloned()
                } else if ts == tb || tl == ts {
                    xl.cloned()
                } else {
                    return None;
                }
            }
        };
        if let Some(c) = merged {
            out.push_component(c);
        }
    }
    Some(out)
}

/// The subcomponent of `src` with the key `k` in its [`children`] `list`.
fn child<'a>(list: &Children, src: &'a Component, k: &str) -> Option<&'a Component> {
    src.components().get(*list.1.get(k)?)
}

/// The keys of three sides (each a list of distinct keys with the index by key), each once,
/// in the order they first appear: the first side's, then the second's that the first lacks,
/// then the third's that neither has. Looked up in the sides' own indexes (no set of another
/// type: each B-tree key type is its own code in the WebAssembly modules).
fn first_seen<T>(sides: [&Indexed<T>; 3]) -> Vec<&str> {
    let mut keys = Vec::new();
    for (n, side) in sides.iter().enumerate() {
        for (k, _) in &side.0 {
            let mut earlier = false;
            for before in &sides[..n] {
                earlier |= before.1.contains_key(k);
            }
            if !earlier {
                keys.push(k.as_str());
            }
        }
    }
    keys
}

/// Each subcomponent's key (name, UID, RECURRENCE-ID and how many before it had those) with
/// its index, in order, and the index by key.
type Children = Indexed<usize>;

fn children(c: &Component) -> Children {
    let mut out: Vec<(String, usize)> = Vec::new();
    let mut at: BTreeMap<String, usize> = BTreeMap::new();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for (i, x) in c.components().iter().enumerate() {
        let value = |n: &str| {
            x.property(n)
                .map(|p| p.raw_value().trim().to_owned())
                .unwrap_or_default()
        };
        let base = format!(
            "{}|{}|{}",
            x.name().to_ascii_uppercase(),
            value("UID"),
            value("RECURRENCE-ID")
        );
        let n = count.entry(base.clone()).or_insert(0);
        let key = format!("{base}|{n}");
        *n += 1;
        at.insert(key.clone(), i);
        out.push((key, i));
    }
    (out, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:e1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Lunch\r\nATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:a@x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn different_properties_merge_and_stamps_take_the_later() {
        let local = BASE
            .replace("SUMMARY:Lunch", "SUMMARY:Team lunch")
            .replace("DTSTAMP:20260101T000000Z", "DTSTAMP:20260103T000000Z");
        let server = BASE
            .replace("PARTSTAT=NEEDS-ACTION", "PARTSTAT=ACCEPTED")
            .replace("DTSTAMP:20260101T000000Z", "DTSTAMP:20260102T000000Z");
        let merged = merge(BASE, &local, &server);
        let merged = merged.as_deref().unwrap_or("");
        assert!(merged.contains("SUMMARY:Team lunch"));
        assert!(merged.contains("PARTSTAT=ACCEPTED"));
        assert!(merged.contains("DTSTAMP:20260103T000000Z"));
        assert!(!merged.contains("NEEDS-ACTION"));
    }

    #[test]
    fn the_same_property_changed_twice_does_not_merge() {
        let local = BASE.replace("SUMMARY:Lunch", "SUMMARY:A");
        let server = BASE.replace("SUMMARY:Lunch", "SUMMARY:B");
        assert_eq!(merge(BASE, &local, &server), None);
        // The same change on both sides is no conflict.
        assert!(merge(BASE, &local, &local).is_some());
    }

    #[test]
    fn added_and_removed_subcomponents() {
        let exception = "BEGIN:VEVENT\r\nUID:e1\r\nRECURRENCE-ID:20260105T100000Z\r\nSUMMARY:Moved\r\nEND:VEVENT\r\n";
        let local = BASE.replace("END:VCALENDAR", &format!("{exception}END:VCALENDAR"));
        let server = BASE.replace("SUMMARY:Lunch", "SUMMARY:Brunch");
        let merged = merge(BASE, &local, &server).unwrap_or_default();
        assert!(merged.contains("RECURRENCE-ID") && merged.contains("SUMMARY:Brunch"));
        // Removed on the server, changed locally: a conflict.
        let changed = local.replace("SUMMARY:Moved", "SUMMARY:Moved again");
        assert_eq!(merge(&local, &changed, BASE), None);
    }

    #[test]
    fn vcards_and_newest() {
        let base = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c1\r\nFN:Ann\r\nTEL:+1\r\nREV:20260101T000000Z\r\nEND:VCARD\r\n";
        let local = base.replace("FN:Ann", "FN:Ann B");
        let server = base.replace("TEL:+1\r\n", "TEL:+1\r\nTEL:+2\r\n");
        let merged = merge(base, &local, &server).unwrap_or_default();
        assert!(merged.contains("FN:Ann B") && merged.contains("TEL:+2"));
        assert_eq!(uid(base).as_deref(), Some("c1"));
        assert_eq!(modified(base), Some(20260101000000));
        assert_eq!(modified("BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n"), None);
        assert_eq!(merge("not a calendar", base, base), None);
    }

    #[test]
    fn components_nested_to_the_parser_limit_merge_level_by_level() {
        // Components nested as deep as the parser allows, the bulk in the innermost one, both
        // sides changing it: every level cloned and wrote out its whole subtree (quadratic in
        // depth times size, 290 MB for 1 MB sides; `cargo bench -p davkit-bench --bench
        // merge` measures it). Each edit below is expected in the result, in place.
        let depth = crate::contentline::MAX_DEPTH;
        let names: Vec<String> = (0..depth)
            .map(|d| match d {
                0 => "VCALENDAR".to_owned(),
                1 => "VEVENT".to_owned(),
                _ => format!("X-L{d}"),
            })
            .collect();
        let mut base = String::new();
        for (d, name) in names.iter().enumerate() {
            base.push_str(&format!("BEGIN:{name}\r\nX-LEVEL:{d}\r\n"));
        }
        for i in 0..2000 {
            base.push_str(&format!("X-P{i}:{i}\r\n"));
        }
        for name in names.iter().rev() {
            base.push_str(&format!("END:{name}\r\n"));
        }
        let edit = |text: &str, old: &str, new: &str| {
            let out = text.replacen(old, new, 1);
            assert_ne!(out, text, "{old} is in the text");
            out
        };
        let local = edit(&base, "X-P1:1\r\n", "X-P1:one\r\n");
        // The server changes another innermost property and adds a component halfway down,
        // after the ones already there (the merge keeps the local order first).
        let added = "BEGIN:X-NEW\r\nX-N:1\r\nEND:X-NEW\r\n";
        let server = edit(&base, "X-P2:2\r\n", "X-P2:two\r\n");
        let server = edit(&server, "END:X-L33\r\n", &format!("END:X-L33\r\n{added}"));
        let both = edit(&local, "X-P2:2\r\n", "X-P2:two\r\n");
        let both = edit(&both, "END:X-L33\r\n", &format!("END:X-L33\r\n{added}"));
        assert_eq!(
            merge(&base, &local, &server).as_deref(),
            Some(both.as_str())
        );
        assert_eq!(
            merge(&base, &server, &local).as_deref(),
            Some(both.as_str())
        );
        // The innermost component removed locally, untouched on the server: removed.
        let inner = format!("BEGIN:X-L{}\r\n", depth - 1);
        let at = base.find(&inner).unwrap_or(0);
        let end = format!("END:X-L{}\r\n", depth - 1);
        let to = base.find(&end).map_or(0, |i| i + end.len());
        let removed = format!(
            "{}{}",
            base.get(..at).unwrap_or(""),
            base.get(to..).unwrap_or("")
        );
        assert!(removed.len() < base.len() / 2);
        assert_eq!(
            merge(&base, &removed, &base).as_deref(),
            Some(removed.as_str())
        );
        // Removed on one side, changed inside on the other, or changed both ways: no merge.
        assert_eq!(merge(&base, &removed, &server), None);
        let other = edit(&base, "X-P1:1\r\n", "X-P1:uno\r\n");
        assert_eq!(merge(&base, &local, &other), None);
        // One level more than the parser takes: no merge, no panic.
        let deeper = edit(
            &base,
            &inner,
            &format!("{inner}BEGIN:X-TOO-DEEP\r\nEND:X-TOO-DEEP\r\n"),
        );
        assert_eq!(merge(&base, &deeper, &base), None);
    }

    #[test]
    fn many_properties_and_subcomponents_are_each_merged() {
        // 40,000 distinct properties and 40,000 alarms on the server's side: each property
        // and key was looked up by a linear search (quadratic: 9 s and 10 s in a release
        // build), now through an index.
        let local = BASE.replace("SUMMARY:Lunch", "SUMMARY:Team lunch");
        let mut extra = String::new();
        for i in 0..40_000 {
            extra.push_str(&format!("X-P{i}:v\r\n"));
        }
        extra.push_str(&"BEGIN:VALARM\r\nEND:VALARM\r\n".repeat(40_000));
        let server = BASE.replace("SUMMARY:Lunch\r\n", &format!("SUMMARY:Lunch\r\n{extra}"));
        let merged = merge(BASE, &local, &server).expect("merged");
        assert!(merged.contains("SUMMARY:Team lunch") && merged.contains("X-P39999:v"));
        assert_eq!(merged.matches("BEGIN:VALARM").count(), 40_000);
    }
}
