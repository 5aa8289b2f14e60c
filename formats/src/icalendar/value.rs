//! Value types of RFC 5545 §3.3: DATE, DATE-TIME (§3.3.4, §3.3.5), DURATION (§3.3.6),
//! CAL-ADDRESS with its parameters (§3.3.3, §3.2).

use std::fmt;

use jiff::civil::{Date, DateTime, Time};
use serde::{Deserialize, Serialize};

use crate::contentline::{Param, Property};

/// A value that could not be read; the property and the raw text are kept for the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    /// Property name.
    pub property: String,
    /// The raw value.
    pub value: String,
    /// Why it was rejected.
    pub reason: &'static str,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({})",
            self.property,
            self.reason,
            crate::quoted::Quoted(&self.value)
        )
    }
}

impl std::error::Error for ValueError {}

pub(crate) fn verr(property: &str, value: &str, reason: &'static str) -> ValueError {
    let mut v = value.to_owned();
    if v.len() > 80 {
        let mut cut = 80;
        while !v.is_char_boundary(cut) {
            cut -= 1;
        }
        v.truncate(cut);
    }
    ValueError {
        property: property.to_owned(),
        value: v,
        reason,
    }
}

/// A DATE or DATE-TIME value with its form: all-day, floating, UTC or zoned by TZID.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CalDateTime {
    /// `VALUE=DATE`: an all-day value.
    Date(Date),
    /// Local time with no zone ("floating").
    Floating(DateTime),
    /// UTC (`...Z`); the civil time is in UTC.
    Utc(DateTime),
    /// Local time in the zone named by `TZID`.
    Zoned {
        /// The wall-clock time as written.
        local: DateTime,
        /// The TZID parameter as written.
        tzid: String,
    },
}

impl CalDateTime {
    /// Reads a DTSTART-like property (VALUE and TZID parameters honoured).
    pub fn from_property(p: &Property) -> Result<CalDateTime, ValueError> {
        let tzid = p.param_value("TZID");
        let is_date = p
            .param_value("VALUE")
            .is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
        parse_one(p.name(), p.raw_value().trim(), tzid.as_deref(), is_date)
    }

    /// Reads a comma-separated list (RDATE, EXDATE). PERIOD values give their start.
    pub fn list_from_property(p: &Property) -> Result<Vec<CalDateTime>, ValueError> {
        let tzid = p.param_value("TZID");
        let is_date = p
            .param_value("VALUE")
            .is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
        let mut out = Vec::new();
        for part in p.raw_value().split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let start = part.split('/').next().unwrap_or(part);
            out.push(parse_one(p.name(), start, tzid.as_deref(), is_date)?);
        }
        Ok(out)
    }

    /// Parses the text form (`20240102`, `20240102T030405`, `...Z`) with an optional TZID.
    pub fn parse(value: &str, tzid: Option<&str>) -> Result<CalDateTime, ValueError> {
        parse_one("VALUE", value, tzid, false)
    }

    /// True for an all-day value.
    pub fn is_date(&self) -> bool {
        matches!(self, CalDateTime::Date(_))
    }

    /// The wall-clock value (midnight for a DATE; UTC civil time for UTC).
    pub fn local(&self) -> DateTime {
        match self {
            CalDateTime::Date(d) => d.to_datetime(Time::midnight()),
            CalDateTime::Floating(dt) | CalDateTime::Utc(dt) => *dt,
            CalDateTime::Zoned { local, .. } => *local,
        }
    }

    /// The calendar date.
    pub fn date(&self) -> Date {
        self.local().date()
    }

    /// The TZID, for zoned values.
    pub fn tzid(&self) -> Option<&str> {
        match self {
            CalDateTime::Zoned { tzid, .. } => Some(tzid),
            _ => None,
        }
    }

    /// The same form (date/floating/UTC/zone) with another wall-clock time.
    pub fn with_local(&self, dt: DateTime) -> CalDateTime {
        match self {
            CalDateTime::Date(_) => CalDateTime::Date(dt.date()),
            CalDateTime::Floating(_) => CalDateTime::Floating(dt),
            CalDateTime::Utc(_) => CalDateTime::Utc(dt),
            CalDateTime::Zoned { tzid, .. } => CalDateTime::Zoned {
                local: dt,
                tzid: tzid.clone(),
            },
        }
    }

    /// The RFC 5545 text of the value (no parameters).
    pub fn to_ical_value(&self) -> String {
        match self {
            CalDateTime::Date(d) => fmt_date(*d),
            CalDateTime::Floating(dt) | CalDateTime::Zoned { local: dt, .. } => fmt_datetime(*dt),
            CalDateTime::Utc(dt) => format!("{}Z", fmt_datetime(*dt)),
        }
    }

    /// ISO 8601 text: `2024-01-02`, `2024-01-02T03:04:05`, `2024-01-02T03:04:05Z`.
    pub fn to_iso(&self) -> String {
        match self {
            CalDateTime::Date(d) => d.to_string(),
            CalDateTime::Floating(dt) | CalDateTime::Zoned { local: dt, .. } => fmt_iso(*dt),
            CalDateTime::Utc(dt) => format!("{}Z", fmt_iso(*dt)),
        }
    }

    /// Parses the ISO 8601 text [`CalDateTime::to_iso`] writes (`2024-01-02`,
    /// `2024-01-02T03:04:05`, `2024-01-02T03:04:05Z`), or the iCalendar form
    /// [`CalDateTime::parse`] takes, with an optional TZID: how an app names an occurrence it
    /// read from a summary or an expansion (their `recurrence_id` and `tzid`).
    pub fn parse_iso(text: &str, tzid: Option<&str>) -> Result<CalDateTime, ValueError> {
        let basic: String = text.chars().filter(|c| !matches!(c, '-' | ':')).collect();
        CalDateTime::parse(&basic, tzid)
    }

    /// A property carrying this value with the right `VALUE=DATE` / `TZID` parameters.
    pub fn to_property(&self, name: &str) -> Property {
        let mut p = Property::new(name, &self.to_ical_value());
        match self {
            CalDateTime::Date(_) => p.set_param("VALUE", &["DATE"]),
            CalDateTime::Zoned { tzid, .. } => p.set_param("TZID", &[tzid]),
            _ => {}
        }
        p
    }
}

impl fmt::Display for CalDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CalDateTime::Zoned { tzid, .. } => write!(f, "{}[{}]", self.to_iso(), tzid),
            _ => f.write_str(&self.to_iso()),
        }
    }
}

pub(crate) fn fmt_date(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

/// `2024-01-02T03:04:05`: what jiff's `strftime("%Y-%m-%dT%H:%M:%S")` writes (`{:04}` pads a
/// negative year with its sign as `%Y` does), by hand: strftime's printer and parser were about
/// 23 KB of the npm package's WebAssembly.
fn fmt_iso(dt: DateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

pub(crate) fn fmt_datetime(dt: DateTime) -> String {
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

fn digits(b: &[u8]) -> Option<i32> {
    if b.is_empty() {
        return None;
    }
    let mut n: i32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(i32::from(c - b'0'))?;
    }
    Some(n)
}

/// Parses `YYYYMMDD` (also tolerates `YYYY-MM-DD`).
pub(crate) fn parse_date_text(s: &str) -> Option<Date> {
    let owned;
    let s = if s.len() == 10 && s.as_bytes().get(4) == Some(&b'-') {
        owned = s.replace('-', "");
        owned.as_str()
    } else {
        s
    };
    let b = s.as_bytes();
    if b.len() != 8 {
        return None;
    }
    let y = digits(b.get(0..4)?)?;
    let m = digits(b.get(4..6)?)?;
    let d = digits(b.get(6..8)?)?;
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

/// Parses `HHMMSS` (also `HH:MM:SS`); a leap second 60 is read as 59.
fn parse_time_text(s: &str) -> Option<Time> {
    let owned;
    let s = if s.contains(':') {
        owned = s.replace(':', "");
        owned.as_str()
    } else {
        s
    };
    let b = s.as_bytes();
    // tolerate fractional seconds
    let b = match b.iter().position(|&c| c == b'.' || c == b',') {
        Some(i) => b.get(..i)?,
        None => b,
    };
    if b.len() != 6 {
        return None;
    }
    let h = digits(b.get(0..2)?)?;
    let m = digits(b.get(2..4)?)?;
    let mut sec = digits(b.get(4..6)?)?;
    if sec == 60 {
        sec = 59;
    }
    Time::new(
        i8::try_from(h).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(sec).ok()?,
        0,
    )
    .ok()
}

fn parse_one(
    prop: &str,
    v: &str,
    tzid: Option<&str>,
    is_date: bool,
) -> Result<CalDateTime, ValueError> {
    let v = v.trim();
    if let Some((d, t)) = v.split_once(['T', 't']) {
        let date = parse_date_text(d).ok_or_else(|| verr(prop, v, "invalid date"))?;
        let (t, utc) = match t.strip_suffix(['Z', 'z']) {
            Some(t) => (t, true),
            None => (t, false),
        };
        let time = parse_time_text(t).ok_or_else(|| verr(prop, v, "invalid time"))?;
        let dt = date.to_datetime(time);
        if utc {
            return Ok(CalDateTime::Utc(dt));
        }
        return Ok(match tzid {
            Some(z) if !z.is_empty() => {
                let z = z.trim();
                if z.eq_ignore_ascii_case("UTC") || z.eq_ignore_ascii_case("Etc/UTC") || z == "Z" {
                    CalDateTime::Utc(dt)
                } else {
                    CalDateTime::Zoned {
                        local: dt,
                        tzid: z.to_owned(),
                    }
                }
            }
            _ => CalDateTime::Floating(dt),
        });
    }
    let date = parse_date_text(v).ok_or_else(|| verr(prop, v, "invalid date"))?;
    let _ = is_date;
    Ok(CalDateTime::Date(date))
}

/// A DURATION value (RFC 5545 §3.3.6). Weeks and days are nominal, the rest exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Duration {
    /// True for `-P...`.
    pub negative: bool,
    /// Weeks.
    pub weeks: u32,
    /// Days.
    pub days: u32,
    /// Hours.
    pub hours: u32,
    /// Minutes.
    pub minutes: u32,
    /// Seconds.
    pub seconds: u32,
}

impl Duration {
    /// Parses `P1W`, `-PT15M`, `P1DT2H3M4S` (weeks mixed with days tolerated).
    pub fn parse(s: &str) -> Option<Duration> {
        let s = s.trim();
        let (negative, rest) = match s.as_bytes().first() {
            Some(b'-') => (true, s.get(1..)?),
            Some(b'+') => (false, s.get(1..)?),
            _ => (false, s),
        };
        let rest = rest.strip_prefix(['P', 'p'])?;
        let mut d = Duration {
            negative,
            ..Duration::default()
        };
        let mut num: Option<u32> = None;
        let mut in_time = false;
        let mut any = false;
        for c in rest.chars() {
            match c {
                '0'..='9' => {
                    let digit = c.to_digit(10)?;
                    num = Some(num.unwrap_or(0).checked_mul(10)?.checked_add(digit)?);
                }
                'T' | 't' => in_time = true,
                'W' | 'w' | 'D' | 'd' | 'H' | 'h' | 'M' | 'm' | 'S' | 's' => {
                    let n = num.take()?;
                    any = true;
                    match (c.to_ascii_uppercase(), in_time) {
                        ('W', false) => d.weeks = n,
                        ('D', false) => d.days = n,
                        ('H', true) => d.hours = n,
                        ('M', true) => d.minutes = n,
                        ('S', true) => d.seconds = n,
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
        if num.is_some() || !any {
            return None;
        }
        Some(d)
    }

    /// Whole nominal days (weeks included), signed.
    pub fn nominal_days(&self) -> i64 {
        let d = i64::from(self.weeks) * 7 + i64::from(self.days);
        if self.negative { -d } else { d }
    }

    /// Exact seconds of the time part, signed.
    pub fn exact_seconds(&self) -> i64 {
        let s =
            i64::from(self.hours) * 3600 + i64::from(self.minutes) * 60 + i64::from(self.seconds);
        if self.negative { -s } else { s }
    }

    /// Builds a duration from signed days and seconds.
    pub fn from_parts(days: i64, seconds: i64) -> Duration {
        let negative = days < 0 || (days == 0 && seconds < 0);
        let (days, seconds) = if negative {
            (-days, -seconds)
        } else {
            (days, seconds)
        };
        let seconds = seconds.max(0);
        Duration {
            negative,
            weeks: 0,
            days: u32::try_from(days).unwrap_or(u32::MAX),
            hours: u32::try_from(seconds / 3600).unwrap_or(u32::MAX),
            minutes: ((seconds % 3600) / 60) as u32,
            seconds: (seconds % 60) as u32,
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        f.write_str("P")?;
        if self.weeks > 0 {
            write!(f, "{}W", self.weeks)?;
        }
        if self.days > 0 {
            write!(f, "{}D", self.days)?;
        }
        if self.hours > 0 || self.minutes > 0 || self.seconds > 0 {
            f.write_str("T")?;
            if self.hours > 0 {
                write!(f, "{}H", self.hours)?;
            }
            if self.minutes > 0 {
                write!(f, "{}M", self.minutes)?;
            }
            if self.seconds > 0 {
                write!(f, "{}S", self.seconds)?;
            }
        }
        if self.weeks == 0
            && self.days == 0
            && self.hours == 0
            && self.minutes == 0
            && self.seconds == 0
        {
            f.write_str("T0S")?;
        }
        Ok(())
    }
}

/// The e-mail of a `mailto:` URI (the scheme in any case), `None` for any other URI.
fn mailto_email(uri: &str) -> Option<&str> {
    uri.get(..7)
        .filter(|s| s.eq_ignore_ascii_case("mailto:"))
        .and_then(|_| uri.get(7..))
}

/// ORGANIZER or ATTENDEE with its parameters (RFC 5545 §3.8.4.1, §3.8.4.3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct CalAddress {
    /// The address URI as written, usually `mailto:...`.
    pub uri: String,
    /// The e-mail address, from a `mailto:` URI or the EMAIL parameter (RFC 7986).
    pub email: Option<String>,
    /// CN: display name.
    pub cn: Option<String>,
    /// ROLE: CHAIR, REQ-PARTICIPANT, OPT-PARTICIPANT, NON-PARTICIPANT.
    pub role: Option<String>,
    /// PARTSTAT: NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE, DELEGATED, ...
    pub partstat: Option<String>,
    /// RSVP.
    pub rsvp: Option<bool>,
    /// CUTYPE: INDIVIDUAL, GROUP, RESOURCE, ROOM, UNKNOWN.
    pub cutype: Option<String>,
    /// DELEGATED-TO addresses.
    pub delegated_to: Vec<String>,
    /// DELEGATED-FROM addresses.
    pub delegated_from: Vec<String>,
    /// SENT-BY address.
    pub sent_by: Option<String>,
    /// MEMBER groups.
    pub member: Vec<String>,
    /// DIR: directory entry URI.
    pub dir: Option<String>,
}

impl CalAddress {
    /// A plain address from an e-mail (`mailto:` added).
    pub fn from_email(email: &str) -> CalAddress {
        CalAddress {
            uri: format!("mailto:{email}"),
            email: Some(email.to_owned()),
            ..CalAddress::default()
        }
    }

    /// A plain address from its URI, as written: the e-mail is the part after a `mailto:`
    /// scheme (any case), none for other schemes (`urn:uuid:...`, `http:...`).
    pub fn from_uri(uri: &str) -> CalAddress {
        CalAddress {
            uri: uri.to_owned(),
            email: mailto_email(uri).map(str::to_owned),
            ..CalAddress::default()
        }
    }

    /// Reads the value and parameters of an ORGANIZER/ATTENDEE property.
    pub fn from_property(p: &Property) -> CalAddress {
        let (mut a, [to, from, member]) = CalAddress::scalars_of(p);
        let list = |x: Option<Param<'_>>| -> Vec<String> {
            x.map(|x| x.values().map(|v| v.into_owned()).collect())
                .unwrap_or_default()
        };
        a.delegated_to = list(to);
        a.delegated_from = list(from);
        a.member = list(member);
        a
    }

    /// The address with its lists left empty, and the parameters they come from, unread:
    /// DELEGATED-TO, DELEGATED-FROM and MEMBER (packed summaries copy their values one at a
    /// time).
    pub(crate) fn scalars_of(p: &Property) -> (CalAddress, [Option<Param<'_>>; 3]) {
        const NAMES: [&str; 11] = [
            "EMAIL",
            "CN",
            "ROLE",
            "PARTSTAT",
            "RSVP",
            "CUTYPE",
            "SENT-BY",
            "DIR",
            "DELEGATED-TO",
            "DELEGATED-FROM",
            "MEMBER",
        ];
        // the first parameter of each name, found in one pass over the line
        let mut found: [Option<Param<'_>>; 11] = [None; 11];
        for param in p.params() {
            if let Some(i) = NAMES
                .iter()
                .position(|n| n.eq_ignore_ascii_case(param.name()))
                && let Some(slot @ None) = found.get_mut(i)
            {
                *slot = Some(param);
            }
        }
        let [
            email,
            cn,
            role,
            partstat,
            rsvp,
            cutype,
            sent_by,
            dir,
            to,
            from,
            member,
        ] = found;
        let one = |x: Option<Param<'_>>| x.map(|x| x.value().into_owned());
        let uri = p.raw_value().trim().to_owned();
        let address = CalAddress {
            email: one(email).or_else(|| mailto_email(&uri).map(str::to_owned)),
            cn: one(cn),
            role: one(role),
            partstat: one(partstat),
            rsvp: one(rsvp).map(|v| v.eq_ignore_ascii_case("TRUE")),
            cutype: one(cutype),
            delegated_to: Vec::new(),
            delegated_from: Vec::new(),
            sent_by: one(sent_by),
            member: Vec::new(),
            dir: one(dir),
            uri,
        };
        (address, [to, from, member])
    }

    /// Writes the address as a property with the given name.
    pub fn to_property(&self, name: &str) -> Property {
        let mut p = Property::new(name, &self.uri);
        let mut set = |n: &str, v: &Option<String>| {
            if let Some(v) = v {
                p.set_param(n, &[v]);
            }
        };
        set("CN", &self.cn);
        set("ROLE", &self.role);
        set("PARTSTAT", &self.partstat);
        set(
            "RSVP",
            &self
                .rsvp
                .map(|b| if b { "TRUE".into() } else { "FALSE".into() }),
        );
        set("CUTYPE", &self.cutype);
        set("SENT-BY", &self.sent_by);
        set("DIR", &self.dir);
        for (n, l) in [
            ("DELEGATED-TO", &self.delegated_to),
            ("DELEGATED-FROM", &self.delegated_from),
            ("MEMBER", &self.member),
        ] {
            if !l.is_empty() {
                let vals: Vec<&str> = l.iter().map(String::as_str).collect();
                p.set_param(n, &vals);
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_and_ical_text_are_what_strftime_writes() {
        for (y, mo, d, h, mi, s) in [
            (2024, 1, 2, 3, 4, 5),
            (1, 12, 31, 23, 59, 59),
            (0, 1, 1, 0, 0, 0),
            (999, 6, 7, 8, 9, 10),
            (9999, 12, 31, 23, 59, 59),
            (-5, 3, 4, 5, 6, 7),
            (-9999, 1, 1, 0, 0, 0),
        ] {
            let dt = jiff::civil::date(y, mo, d).at(h, mi, s, 0);
            assert_eq!(
                CalDateTime::Floating(dt).to_iso(),
                dt.strftime("%Y-%m-%dT%H:%M:%S").to_string()
            );
            assert_eq!(
                CalDateTime::Utc(dt).to_iso(),
                dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
            );
            assert_eq!(
                CalDateTime::Utc(dt).to_ical_value(),
                dt.strftime("%Y%m%dT%H%M%SZ").to_string()
            );
            assert_eq!(
                CalDateTime::Floating(dt).to_ical_value(),
                dt.strftime("%Y%m%dT%H%M%S").to_string()
            );
            assert_eq!(
                CalDateTime::Date(dt.date()).to_ical_value(),
                dt.strftime("%Y%m%d").to_string()
            );
        }
    }
}
