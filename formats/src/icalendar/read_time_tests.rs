//! Differential tests: each hand reader against jiff's parser over generated inputs. Inputs in
//! the form a reader documents must give exactly jiff's answer (value, or refusal); every
//! other input (mutated bytes, truncations, forms only jiff reads) must be refused or give
//! jiff's value, never a different one.

use super::*;
use std::str::FromStr;

use davkit_testkit::Rng;

/// One of `fixed` (edges) or any number below `n`.
fn either(r: &mut Rng, fixed: &[usize], n: usize) -> usize {
    if r.below(2) == 0 {
        *r.one(fixed)
    } else {
        r.below(n)
    }
}

fn year_text(r: &mut Rng) -> String {
    match r.below(4) {
        0 => format!("{:04}", r.below(10_000)),
        1 => format!("{:04}", *r.one(&[0, 1, 1582, 1900, 1970, 2000, 2024, 9999])),
        2 => format!("-{:06}", r.below(10_002)),
        _ => format!("+{:06}", r.below(10_002)),
    }
}

fn date_text(r: &mut Rng) -> String {
    format!(
        "{}-{:02}-{:02}",
        year_text(r),
        r.below(14),
        either(r, &[0, 1, 15, 28, 29, 30, 31, 32], 33)
    )
}

/// The form `rfc3339` documents, with values in and out of range.
fn rfc3339_text(r: &mut Rng) -> String {
    let sep = *r.one(&['T', 't', ' ']);
    let frac = match r.below(4) {
        0 | 1 => String::new(),
        _ => {
            let len = 1 + r.below(10);
            let sep = *r.one(&['.', ',']);
            let digits: String = (0..len)
                .map(|_| char::from(b'0' + r.below(10) as u8))
                .collect();
            format!("{sep}{digits}")
        }
    };
    let zone = match r.below(4) {
        0 => "Z".to_owned(),
        1 => "z".to_owned(),
        _ => format!(
            "{}{:02}:{:02}",
            r.one(&['+', '-']),
            either(r, &[0, 1, 5, 14, 23, 24, 25, 26], 100),
            either(r, &[0, 30, 45, 59, 60], 100)
        ),
    };
    format!(
        "{}{sep}{:02}:{:02}:{:02}{frac}{zone}",
        date_text(r),
        either(r, &[0, 12, 23, 24], 30),
        either(r, &[0, 59, 60], 70),
        either(r, &[0, 59, 60, 61], 70),
    )
}

fn http_date_text(r: &mut Rng) -> String {
    let month = r.below(12);
    let names = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month_name = match r.below(4) {
        0 => names[month].to_uppercase(),
        1 => names[month].to_lowercase(),
        2 => (*r.one(&["Jun", "Mai", "Foo", "Janu"])).to_owned(),
        _ => names[month].to_owned(),
    };
    let year = either(r, &[1899, 1900, 1970, 2013, 2024, 2026, 9999], 10_000);
    let day = either(r, &[1, 9, 15, 28, 29, 30, 31, 32, 0], 32);
    let day = if r.below(2) == 0 {
        format!("{day:02}")
    } else {
        format!("{day}")
    };
    // The right weekday when the date exists, else any.
    let weekday = Date::from_str(&format!(
        "{year:04}-{:02}-{:02}",
        month + 1,
        day.parse::<u8>().unwrap_or(1)
    ))
    .map(|d| d.weekday())
    .unwrap_or(Weekday::Monday);
    let weekday = match r.below(5) {
        0 => String::new(),
        1 => format!(
            "{}, ",
            r.one(&["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
        ),
        2 => format!(
            "{}, ",
            WEEKDAYS
                .iter()
                .find(|w| w.1 == weekday)
                .map_or("Mon", |w| std::str::from_utf8(w.0).unwrap_or("Mon"))
                .to_uppercase()
        ),
        _ => {
            let n = WEEKDAYS
                .iter()
                .find(|w| w.1 == weekday)
                .map_or(b"mon", |w| w.0);
            let n = std::str::from_utf8(&n[..]).unwrap_or("mon");
            format!("{}{}, ", n[..1].to_uppercase(), &n[1..])
        }
    };
    let seconds = match r.below(4) {
        0 => String::new(),
        _ => format!(":{:02}", either(r, &[0, 59, 60, 61], 100)),
    };
    let zone = match r.below(5) {
        0 => "GMT".to_owned(),
        1 => (*r.one(&["UT", "gmt", "Gmt", "ut", "UTC", "EST", "Z", "A"])).to_owned(),
        _ => format!(
            "{}{:02}{:02}",
            r.one(&['+', '-']),
            either(r, &[0, 1, 5, 23, 24, 25, 26], 100),
            either(r, &[0, 30, 59, 60], 100)
        ),
    };
    format!(
        "{weekday}{day} {month_name} {year:04} {:02}:{:02}{seconds} {zone}",
        either(r, &[0, 12, 23, 24], 100),
        either(r, &[0, 59, 60], 100),
    )
}

/// A byte deleted, replaced, inserted or the text cut short: mostly inputs outside the form.
fn mutate(r: &mut Rng, s: &str) -> String {
    let mut b = s.as_bytes().to_vec();
    let at = r.below(b.len() + 1);
    let junk = *r.one(b"0123456789:+-.,TZtz W[]\x00\xff \t");
    match r.below(4) {
        0 if at < b.len() => {
            b.remove(at);
        }
        1 if at < b.len() => b[at] = junk,
        2 => b.insert(at, junk),
        _ => b.truncate(at),
    }
    String::from_utf8_lossy(&b).into_owned()
}

const ROUNDS: usize = 200_000;

#[test]
fn rfc3339_is_jiffs_timestamp_parser_on_its_form() {
    let mut r = Rng::new(0x9E37_79B9_7F4A_7C15);
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..ROUNDS {
        let s = rfc3339_text(&mut r);
        let jiff = Timestamp::from_str(&s).ok();
        assert_eq!(rfc3339(&s), jiff, "{s:?}");
        if jiff.is_some() {
            accepted += 1
        } else {
            refused += 1
        }
        let m = mutate(&mut r, &s);
        let mine = rfc3339(&m);
        assert!(
            mine.is_none() || mine == Timestamp::from_str(&m).ok(),
            "{m:?}"
        );
    }
    assert!(
        accepted > ROUNDS / 10 && refused > ROUNDS / 10,
        "{accepted} {refused}"
    );
}

#[test]
fn rfc3339_refuses_forms_only_jiff_reads() {
    // jiff's Temporal grammar reads these; Google and `Date.toISOString()` never write them.
    for s in [
        "20260101T000000Z",
        "2026-01-01T00:00Z",
        "2026-01-01T00:00:00+01",
        "2026-01-01T00:00:00+0100",
        "2026-01-01T00:00:00Z[Europe/Berlin]",
        "2026-01-01T00:00:00+01:00:00",
    ] {
        assert!(Timestamp::from_str(s).is_ok(), "{s}");
        assert_eq!(rfc3339(s), None, "{s}");
    }
    for s in [
        "",
        "2026",
        "2026-01-01",
        "2026-01-01T",
        "\u{e9}",
        "2026-01-01T00:00:00.Z",
    ] {
        assert_eq!(rfc3339(s), None, "{s}");
    }
}

#[test]
fn iso_date_is_jiffs_date_parser_on_its_form() {
    let mut r = Rng::new(0xD1B5_4A32_D192_ED03);
    let mut accepted = 0;
    for _ in 0..ROUNDS {
        let s = date_text(&mut r);
        let jiff = Date::from_str(&s).ok();
        assert_eq!(iso_date(&s), jiff, "{s:?}");
        accepted += usize::from(jiff.is_some());
        let m = mutate(&mut r, &s);
        let mine = iso_date(&m);
        assert!(mine.is_none() || mine == Date::from_str(&m).ok(), "{m:?}");
    }
    assert!(accepted > ROUNDS / 10, "{accepted}");
    // jiff only: basic form, a date-time.
    for s in ["20260101", "2026-01-01T10:00"] {
        assert!(Date::from_str(s).is_ok(), "{s}");
        assert_eq!(iso_date(s), None, "{s}");
    }
}

#[test]
fn http_date_is_jiffs_rfc2822_parser_on_its_form() {
    let parse = |s: &str| jiff::fmt::rfc2822::parse(s).ok().map(|z| z.timestamp());
    let mut r = Rng::new(0x94D0_49BB_1331_11EB);
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..ROUNDS {
        let s = http_date_text(&mut r);
        let jiff = parse(&s);
        let mine = http_date(&s);
        // Obsolete zone names and military letters: jiff's only.
        let obsolete = ["UTC", "EST", "Z", "A"]
            .iter()
            .any(|z| s.ends_with(&format!(" {z}")));
        if obsolete {
            assert!(mine.is_none(), "{s:?}");
        } else {
            assert_eq!(mine, jiff, "{s:?}");
        }
        if jiff.is_some() {
            accepted += 1
        } else {
            refused += 1
        }
        let m = mutate(&mut r, &s);
        let mine = http_date(&m);
        assert!(mine.is_none() || mine == parse(&m), "{m:?}");
    }
    assert!(
        accepted > ROUNDS / 20 && refused > ROUNDS / 10,
        "{accepted} {refused}"
    );
    assert_eq!(
        http_date("Tue, 19 Nov 2013 01:13:52 GMT").map(|t| t.as_millisecond()),
        Some(1_384_823_632_000)
    );
}
