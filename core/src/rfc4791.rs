//! RFC 4791 (CalDAV): MKCALENDAR (§5.3.1), calendar-query with component and time-range
//! filters (§7.8, §9.7, §9.9) and calendar-multiget (§7.9).

use crate::rfc4918::PropValue;
use crate::xml::writer::{el, to_document};
use crate::xml::{CALDAV, DAV, Element, QName};

/// A UTC time range for calendar-query, as `YYYYMMDDTHHMMSSZ` strings (RFC 4791 §9.9).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct TimeRange {
    /// Inclusive start, e.g. `20260101T000000Z`; `None` means unbounded.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub start: Option<String>,
    /// Exclusive end; `None` means unbounded.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub end: Option<String>,
}

impl TimeRange {
    /// The range between two instants given as milliseconds since 1970-01-01T00:00:00Z (a JS
    /// `Date`'s number; `None`: unbounded), written in the UTC form the query takes (rounded
    /// down to the second). `InvalidInput` for an instant outside the years 0000-9999.
    pub fn from_unix_ms(start: Option<i64>, end: Option<i64>) -> crate::Result<TimeRange> {
        let text = |ms: Option<i64>, what: &str| -> crate::Result<Option<String>> {
            ms.map(|ms| {
                crate::icalendar::utc_text_from_unix_ms(ms).ok_or_else(|| {
                    crate::Error::new(
                        crate::ErrorKind::InvalidInput,
                        format!("the time range's {what} ({ms} ms) is outside the years 0000-9999"),
                    )
                })
            })
            .transpose()
        };
        Ok(TimeRange {
            start: text(start, "start")?,
            end: text(end, "end")?,
        })
    }
}

/// A calendar-query filter: which component, optionally within a time range.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi::export(Debug))]
pub struct CalendarFilter {
    /// `VEVENT`, `VTODO`, `VJOURNAL`, ...
    pub component: String,
    /// Only objects overlapping this range.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub time_range: Option<TimeRange>,
}

/// The MKCALENDAR body with the initial properties (components go in
/// `supported-calendar-component-set`).
pub fn mkcalendar_body(props: &[PropValue], components: &[String]) -> String {
    let mut prop = el(DAV, "prop").with_all(set_props(props));
    if !components.is_empty() {
        prop = prop.with(el(CALDAV, "supported-calendar-component-set").with_all({
            let mut comps = Vec::new();
            for c in components {
                comps.push(el(CALDAV, "comp").with_attr("name", c.clone()));
            }
            comps
        }));
    }
    to_document(&el(CALDAV, "mkcalendar").with(el(DAV, "set").with(prop)))
}

pub(crate) fn set_props(props: &[PropValue]) -> Vec<Element> {
    let mut set = Vec::new();
    for p in props {
        if let Some(v) = &p.value {
            set.push(Element::new(p.name.clone()).with_text(v.clone()));
        }
    }
    set
}

/// A calendar-query REPORT body returning ETags and data for matching objects.
pub fn calendar_query_body(props: &[QName], filter: &CalendarFilter) -> String {
    let mut comp = el(CALDAV, "comp-filter").with_attr("name", filter.component.clone());
    if let Some(range) = &filter.time_range {
        let mut tr = el(CALDAV, "time-range");
        if let Some(s) = &range.start {
            tr = tr.with_attr("start", s.clone());
        }
        if let Some(e) = &range.end {
            tr = tr.with_attr("end", e.clone());
        }
        comp = comp.with(tr);
    }
    let root = el(CALDAV, "calendar-query")
        .with(el(DAV, "prop").with_empty(props))
        .with(
            el(CALDAV, "filter").with(
                el(CALDAV, "comp-filter")
                    .with_attr("name", "VCALENDAR")
                    .with(comp),
            ),
        );
    to_document(&root)
}

/// A calendar-multiget REPORT body for these hrefs (paths or absolute URLs).
pub fn calendar_multiget_body(props: &[QName], hrefs: &[String]) -> String {
    multiget_body(el(CALDAV, "calendar-multiget"), props, hrefs)
}

pub(crate) fn multiget_body(root: Element, props: &[QName], hrefs: &[String]) -> String {
    let root = root.with(el(DAV, "prop").with_empty(props)).with_all({
        let mut list = Vec::new();
        for h in hrefs {
            list.push(el(DAV, "href").with_text(h.clone()));
        }
        list
    });
    to_document(&root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::names;

    #[test]
    fn time_ranges_from_instants() {
        // 2026-03-01T09:30:00.999Z and 1969-12-31T23:59:59.5Z, rounded down to the second
        let r = TimeRange::from_unix_ms(Some(1_772_357_400_999), Some(-500)).unwrap();
        assert_eq!(r.start.as_deref(), Some("20260301T093000Z"));
        assert_eq!(r.end.as_deref(), Some("19691231T235959Z"));
        let open = TimeRange::from_unix_ms(None, Some(0)).unwrap();
        assert_eq!(
            (open.start, open.end.as_deref()),
            (None, Some("19700101T000000Z"))
        );
        let e = TimeRange::from_unix_ms(Some(i64::MAX), None).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert!(e.message().contains("start"), "{}", e.message());
    }

    #[test]
    fn query_with_time_range() {
        let body = calendar_query_body(
            &[names::GETETAG, names::CALENDAR_DATA],
            &CalendarFilter {
                component: "VEVENT".into(),
                time_range: Some(TimeRange {
                    start: Some("20260101T000000Z".into()),
                    end: None,
                }),
            },
        );
        assert!(body.contains(
            "<c:comp-filter name=\"VCALENDAR\"><c:comp-filter name=\"VEVENT\">\
             <c:time-range start=\"20260101T000000Z\"/></c:comp-filter></c:comp-filter>"
        ));
    }

    #[test]
    fn mkcalendar_with_components() {
        let body = mkcalendar_body(
            &[PropValue {
                name: names::DISPLAYNAME,
                value: Some("Work".into()),
            }],
            &["VEVENT".into()],
        );
        assert!(body.starts_with("<?xml"));
        assert!(body.contains("<c:mkcalendar"));
        assert!(body.contains("<d:displayname>Work</d:displayname>"));
        assert!(body.contains("<c:comp name=\"VEVENT\"/>"));
    }
}
