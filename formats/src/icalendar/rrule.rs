//! RECUR values (RFC 5545 §3.3.10): parsing and writing an RRULE; `iter` walks its starts.

mod iter;

use std::fmt;

use jiff::civil::Weekday;

use super::value::{CalDateTime, ValueError, verr};

pub(crate) use iter::RuleIter;

/// FREQ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Frequency {
    /// SECONDLY
    Secondly,
    /// MINUTELY
    Minutely,
    /// HOURLY
    Hourly,
    /// DAILY
    Daily,
    /// WEEKLY
    Weekly,
    /// MONTHLY
    Monthly,
    /// YEARLY
    Yearly,
}

impl Frequency {
    fn name(self) -> &'static str {
        match self {
            Frequency::Secondly => "SECONDLY",
            Frequency::Minutely => "MINUTELY",
            Frequency::Hourly => "HOURLY",
            Frequency::Daily => "DAILY",
            Frequency::Weekly => "WEEKLY",
            Frequency::Monthly => "MONTHLY",
            Frequency::Yearly => "YEARLY",
        }
    }
}

/// One BYDAY entry: an optional ordinal and a weekday (`-1SU`, `MO`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WeekdayNum {
    /// The ordinal (1..=53 or -53..=-1), if any.
    pub nth: Option<i8>,
    /// The weekday.
    pub weekday: Weekday,
}

/// A parsed RRULE. Unknown parts (RSCALE, SKIP, X- parts) are kept in `extra` and written back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RRule {
    /// FREQ.
    pub freq: Frequency,
    /// INTERVAL (at least 1).
    pub interval: u32,
    /// COUNT.
    pub count: Option<u32>,
    /// UNTIL.
    pub until: Option<CalDateTime>,
    /// BYSECOND (0..=60).
    pub by_second: Vec<u8>,
    /// BYMINUTE (0..=59).
    pub by_minute: Vec<u8>,
    /// BYHOUR (0..=23).
    pub by_hour: Vec<u8>,
    /// BYDAY.
    pub by_day: Vec<WeekdayNum>,
    /// BYMONTHDAY (±1..=31).
    pub by_month_day: Vec<i8>,
    /// BYYEARDAY (±1..=366).
    pub by_year_day: Vec<i16>,
    /// BYWEEKNO (±1..=53).
    pub by_week_no: Vec<i8>,
    /// BYMONTH (1..=12).
    pub by_month: Vec<u8>,
    /// BYSETPOS (±1..=366).
    pub by_set_pos: Vec<i16>,
    /// WKST (default Monday).
    pub week_start: Weekday,
    /// Parts this library does not interpret, as written.
    pub extra: Vec<(String, String)>,
}

pub(crate) fn weekday_code(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "MO",
        Weekday::Tuesday => "TU",
        Weekday::Wednesday => "WE",
        Weekday::Thursday => "TH",
        Weekday::Friday => "FR",
        Weekday::Saturday => "SA",
        Weekday::Sunday => "SU",
    }
}

fn parse_weekday(s: &str) -> Option<Weekday> {
    Some(match s.to_ascii_uppercase().as_str() {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return None,
    })
}

fn list<T>(v: &str, raw: &str, parse: impl Fn(i64) -> Option<T>) -> Result<Vec<T>, ValueError> {
    v.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim()
                .trim_start_matches('+')
                .parse::<i64>()
                .ok()
                .and_then(&parse)
                .ok_or_else(|| verr("RRULE", raw, "invalid BYxxx value"))
        })
        .collect()
}

fn range<T: TryFrom<i64>>(lo: i64, hi: i64, allow_neg: bool) -> impl Fn(i64) -> Option<T> {
    move |n| {
        let ok = (n >= lo && n <= hi) || (allow_neg && n <= -lo && n >= -hi);
        if ok { T::try_from(n).ok() } else { None }
    }
}

impl RRule {
    /// A rule with only FREQ set.
    pub fn new(freq: Frequency) -> RRule {
        RRule {
            freq,
            interval: 1,
            count: None,
            until: None,
            by_second: Vec::new(),
            by_minute: Vec::new(),
            by_hour: Vec::new(),
            by_day: Vec::new(),
            by_month_day: Vec::new(),
            by_year_day: Vec::new(),
            by_week_no: Vec::new(),
            by_month: Vec::new(),
            by_set_pos: Vec::new(),
            week_start: Weekday::Monday,
            extra: Vec::new(),
        }
    }

    /// Parses an RRULE value such as `FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20250101T000000Z`.
    pub fn parse(raw: &str) -> Result<RRule, ValueError> {
        let mut freq = None;
        let mut r = RRule::new(Frequency::Daily);
        for part in raw.trim().split(';') {
            if part.is_empty() {
                continue;
            }
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| verr("RRULE", raw, "part without '='"))?;
            let k_up = k.trim().to_ascii_uppercase();
            let v = v.trim();
            match k_up.as_str() {
                "FREQ" => {
                    freq = Some(match v.to_ascii_uppercase().as_str() {
                        "SECONDLY" => Frequency::Secondly,
                        "MINUTELY" => Frequency::Minutely,
                        "HOURLY" => Frequency::Hourly,
                        "DAILY" => Frequency::Daily,
                        "WEEKLY" => Frequency::Weekly,
                        "MONTHLY" => Frequency::Monthly,
                        "YEARLY" => Frequency::Yearly,
                        _ => return Err(verr("RRULE", raw, "unknown FREQ")),
                    })
                }
                "INTERVAL" => {
                    r.interval = v
                        .parse::<u32>()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| verr("RRULE", raw, "invalid INTERVAL"))?
                }
                "COUNT" => {
                    // a negative COUNT (seen in the wild) is read as no COUNT, like dateutil
                    let n = v
                        .parse::<i64>()
                        .map_err(|_| verr("RRULE", raw, "invalid COUNT"))?;
                    r.count = u32::try_from(n).ok().filter(|_| n >= 0);
                }
                "UNTIL" => {
                    r.until = Some(
                        CalDateTime::parse(v, None)
                            .map_err(|_| verr("RRULE", raw, "invalid UNTIL"))?,
                    )
                }
                "BYSECOND" => r.by_second = list(v, raw, range(0, 60, false))?,
                "BYMINUTE" => r.by_minute = list(v, raw, range(0, 59, false))?,
                "BYHOUR" => r.by_hour = list(v, raw, range(0, 23, false))?,
                "BYMONTHDAY" => r.by_month_day = list(v, raw, range(1, 31, true))?,
                "BYYEARDAY" => r.by_year_day = list(v, raw, range(1, 366, true))?,
                "BYWEEKNO" => r.by_week_no = list(v, raw, range(1, 53, true))?,
                "BYMONTH" => r.by_month = list(v, raw, range(1, 12, false))?,
                "BYSETPOS" => r.by_set_pos = list(v, raw, range(1, 366, true))?,
                "WKST" => {
                    r.week_start =
                        parse_weekday(v).ok_or_else(|| verr("RRULE", raw, "invalid WKST"))?
                }
                "BYDAY" => {
                    let mut days = Vec::new();
                    for d in v.split(',') {
                        let d = d.trim();
                        if d.is_empty() {
                            continue;
                        }
                        let split = d.len().saturating_sub(2);
                        let (n, w) = (d.get(..split).unwrap_or(""), d.get(split..).unwrap_or(""));
                        let weekday =
                            parse_weekday(w).ok_or_else(|| verr("RRULE", raw, "invalid BYDAY"))?;
                        let nth = if n.is_empty() || n == "+" {
                            None
                        } else {
                            let n = n
                                .trim_start_matches('+')
                                .parse::<i8>()
                                .ok()
                                .filter(|n| *n != 0 && (-53..=53).contains(n))
                                .ok_or_else(|| verr("RRULE", raw, "invalid BYDAY ordinal"))?;
                            Some(n)
                        };
                        days.push(WeekdayNum { nth, weekday });
                    }
                    r.by_day = days;
                }
                _ => r.extra.push((k.trim().to_owned(), v.to_owned())),
            }
        }
        r.freq = freq.ok_or_else(|| verr("RRULE", raw, "missing FREQ"))?;
        Ok(r)
    }
}

fn join<T: fmt::Display>(f: &mut fmt::Formatter<'_>, name: &str, xs: &[T]) -> fmt::Result {
    if xs.is_empty() {
        return Ok(());
    }
    write!(f, ";{name}=")?;
    for (i, x) in xs.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{x}")?;
    }
    Ok(())
}

impl fmt::Display for RRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FREQ={}", self.freq.name())?;
        if let Some(u) = &self.until {
            write!(f, ";UNTIL={}", u.to_ical_value())?;
        }
        if let Some(c) = self.count {
            write!(f, ";COUNT={c}")?;
        }
        if self.interval > 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        join(f, "BYSECOND", &self.by_second)?;
        join(f, "BYMINUTE", &self.by_minute)?;
        join(f, "BYHOUR", &self.by_hour)?;
        if !self.by_day.is_empty() {
            let days: Vec<String> = self
                .by_day
                .iter()
                .map(|d| match d.nth {
                    Some(n) => format!("{n}{}", weekday_code(d.weekday)),
                    None => weekday_code(d.weekday).to_owned(),
                })
                .collect();
            join(f, "BYDAY", &days)?;
        }
        join(f, "BYMONTHDAY", &self.by_month_day)?;
        join(f, "BYYEARDAY", &self.by_year_day)?;
        join(f, "BYWEEKNO", &self.by_week_no)?;
        join(f, "BYMONTH", &self.by_month)?;
        join(f, "BYSETPOS", &self.by_set_pos)?;
        if self.week_start != Weekday::Monday {
            write!(f, ";WKST={}", weekday_code(self.week_start))?;
        }
        for (k, v) in &self.extra {
            write!(f, ";{k}={v}")?;
        }
        Ok(())
    }
}
