//! IANA time zones from the host: the module is built without the IANA database
//! (`davkit` without `bundled-tzdb`, about 84 KB of gzip), and the core asks
//! [`zone_from_host`] for each zone name it meets. That calls the JS function given to
//! [`set_zone_source`] (`npm/src/zones.js`, which reads the rules from `Intl`) and turns its
//! answer into TZif for jiff. Answers are cached per name, unknown names too.

use std::cell::RefCell;
use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use js_sys::Function;
use wasm_bindgen::prelude::*;

/// At most this many names are remembered (a hostile calendar could name many).
const MAX_CACHED: usize = 1024;
/// Longer names are not IANA names; they are not passed to JS.
const MAX_NAME: usize = 64;
/// At most this many transitions are read from one answer.
const MAX_TRANSITIONS: usize = 2000;

/// Answers in first-asked order, and their index in it by name (a `String` to index map, the
/// map type the formats crate uses).
type Cache = (Vec<Option<TimeZone>>, BTreeMap<String, usize>);

thread_local! {
    static SOURCE: RefCell<Option<Function>> = const { RefCell::new(None) };
    static CACHE: RefCell<Cache> =
        const { RefCell::new((Vec::new(), BTreeMap::new())) };
}

/// `setZoneSource(fn)`: `fn(name)` returns the zone's rules as text or null (see
/// `npm/src/zones.js`). Called once by the JS entry after the module is loaded.
#[wasm_bindgen(js_name = setZoneSource)]
pub fn set_zone_source(source: Function) {
    SOURCE.with(|s| *s.borrow_mut() = Some(source));
    davkit::icalendar::set_zone_source(zone_from_host);
}

/// The zone `name` as the host knows it, or `None`.
fn zone_from_host(name: &str) -> Option<TimeZone> {
    if name.len() > MAX_NAME {
        return None;
    }
    if let Some(hit) = CACHE.with(|c| {
        let c = c.borrow();
        c.1.get(name).and_then(|&i| c.0.get(i)).cloned()
    }) {
        return hit;
    }
    let answer = SOURCE.with(|s| {
        let source = s.borrow();
        source
            .as_ref()?
            .call1(&JsValue::NULL, &JsValue::from_str(name))
            .ok()?
            .as_string()
    });
    let zone = answer
        .as_deref()
        .and_then(tzif)
        .and_then(|bytes| TimeZone::tzif(name, &bytes).ok());
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.0.len() < MAX_CACHED {
            let at = cache.0.len();
            cache.0.push(zone.clone());
            cache.1.insert(name.to_owned(), at);
        }
    });
    zone
}

/// TZif (RFC 8536, version 2) from `initial;t1,o1,d1;t2,o2,d2;...|footer`: a minimal version 1
/// block, then the transitions with 64-bit times, one local time type per offset and DST flag,
/// and the footer. Designations are `+HHMM` (`+HHMMSS`), as the footer names its offsets (TZif
/// readers check that the last transition agrees with the footer).
pub(crate) fn tzif(answer: &str) -> Option<Vec<u8>> {
    let (list, footer) = answer.split_once('|')?;
    let mut fields = list.split(';');
    let initial: i32 = fields.next()?.parse().ok()?;
    let mut types: Vec<(i32, bool)> = vec![(initial, false)];
    let mut transitions: Vec<(i64, u8)> = Vec::new();
    for field in fields.filter(|f| !f.is_empty()) {
        if transitions.len() == MAX_TRANSITIONS {
            return None;
        }
        let mut parts = field.split(',');
        let at: i64 = parts.next()?.parse().ok()?;
        let offset: i32 = parts.next()?.parse().ok()?;
        let dst = parts.next()? == "1";
        if parts.next().is_some()
            || offset_abs_too_big(offset)
            || transitions.last().is_some_and(|&(t, _)| at <= t)
        {
            return None;
        }
        let index = match types.iter().position(|&t| t == (offset, dst)) {
            Some(i) => i,
            None if types.len() < 255 => {
                types.push((offset, dst));
                types.len() - 1
            }
            None => return None,
        };
        transitions.push((at, u8::try_from(index).ok()?));
    }
    if !footer.bytes().all(|b| b.is_ascii_graphic()) || offset_abs_too_big(initial) {
        return None;
    }
    let mut chars = Vec::new();
    let mut infos = Vec::new();
    for &(offset, dst) in &types {
        infos.extend_from_slice(&offset.to_be_bytes());
        infos.push(u8::from(dst));
        infos.push(u8::try_from(chars.len()).ok()?);
        let abs = offset.unsigned_abs();
        let sign = if offset < 0 { '-' } else { '+' };
        let name = match abs % 60 {
            0 => format!("{sign}{:02}{:02}", abs / 3600, abs / 60 % 60),
            s => format!("{sign}{:02}{:02}{s:02}", abs / 3600, abs / 60 % 60),
        };
        chars.extend_from_slice(name.as_bytes());
        chars.push(0);
    }
    let mut out = Vec::with_capacity(120 + transitions.len() * 9 + infos.len() + chars.len());
    header(&mut out, 0, 1, 4);
    out.extend_from_slice(&[0, 0, 0, 0, 0, 0, b'U', b'T', b'C', 0]);
    header(
        &mut out,
        u32::try_from(transitions.len()).ok()?,
        u32::try_from(types.len()).ok()?,
        u32::try_from(chars.len()).ok()?,
    );
    for &(at, _) in &transitions {
        out.extend_from_slice(&at.to_be_bytes());
    }
    out.extend(transitions.iter().map(|&(_, i)| i));
    out.extend_from_slice(&infos);
    out.extend_from_slice(&chars);
    out.push(b'\n');
    out.extend_from_slice(footer.as_bytes());
    out.push(b'\n');
    Some(out)
}

fn offset_abs_too_big(offset: i32) -> bool {
    offset.unsigned_abs() > 26 * 3600
}

fn header(out: &mut Vec<u8>, timecnt: u32, typecnt: u32, charcnt: u32) {
    out.extend_from_slice(b"TZif2");
    out.extend_from_slice(&[0; 15]);
    for n in [0, 0, 0, timecnt, typecnt, charcnt] {
        out.extend_from_slice(&u32::to_be_bytes(n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn berlin_from_its_rules() -> Result<(), Box<dyn std::error::Error>> {
        // 2025-03-30T01:00:00Z -> +02:00, 2025-10-26T01:00:00Z -> +01:00, then the rule
        let answer =
            "3600;1743296400,7200,1;1761440400,3600,0|<+0100>-1<+0200>-2,M3.5.0/2,M10.5.0/3";
        let zone = TimeZone::tzif("Europe/Berlin", &tzif(answer).ok_or("tzif")?)?;
        let at = |s: &str| -> Result<i32, Box<dyn std::error::Error>> {
            Ok(zone.to_offset(s.parse::<jiff::Timestamp>()?).seconds())
        };
        assert_eq!(at("2025-01-15T12:00:00Z")?, 3600);
        assert_eq!(at("2025-07-15T12:00:00Z")?, 7200);
        assert_eq!(at("2060-07-15T12:00:00Z")?, 7200, "from the footer");
        assert_eq!(at("2060-12-15T12:00:00Z")?, 3600, "from the footer");
        Ok(())
    }

    #[test]
    fn bad_answers_are_no_zone() {
        for answer in [
            "",
            "x|",
            "3600;5,7200,1;4,3600,0|",
            "3600;5|",
            "3600;5,7200|",
            "3600;5,7200,1,9|",
            "99999999;|",
            "0;1,100000,0|",
            "0;|bad footer",
        ] {
            assert!(tzif(answer).is_none(), "{answer:?}");
        }
        assert!(tzif("0;|").is_some());
        // a footer that disagrees with the last transition is refused by jiff
        let bytes = tzif("3600;1761440400,7200,1|<+0100>-1").unwrap_or_default();
        assert!(TimeZone::tzif("X/Y", &bytes).is_err());
    }
}
