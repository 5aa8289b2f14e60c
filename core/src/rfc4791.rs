//! RFC 4791 (CalDAV): MKCALENDAR (§5.3.1), calendar-query with component and time-range
//! filters (§7.8, §9.7, §9.9) and calendar-multiget (§7.9).

use crate::rfc4918::PropValue;
use crate::xml::writer::{el, to_document};
use crate::xml::{CALDAV, DAV, Element, QName};

/// A UTC time range for calendar-query, as `YYYYMMDDTHHMMSSZ` strings (RFC 4791 §9.9).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TimeRange {
    /// Inclusive start, e.g. `20260101T000000Z`; `None` means unbounded.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub start: Option<String>,
    /// Exclusive end; `None` means unbounded.
    #[cfg_attr(feature = "uniffi", uniffi(default))]
    pub end: Option<String>,
}

/// A calendar-query filter: which component, optionally within a time range.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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
        prop = prop.with(
            el(CALDAV, "supported-calendar-component-set").with_all(
                components
                    .iter()
                    .map(|c| el(CALDAV, "comp").with_attr("name", c.clone())),
            ),
        );
    }
    to_document(&el(CALDAV, "mkcalendar").with(el(DAV, "set").with(prop)))
}

pub(crate) fn set_props(props: &[PropValue]) -> Vec<Element> {
    props
        .iter()
        .filter_map(|p| {
            p.value
                .as_ref()
                .map(|v| Element::new(p.name.clone()).with_text(v.clone()))
        })
        .collect()
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
        .with(el(DAV, "prop").with_all(props.iter().cloned().map(Element::new)))
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
    let root = root
        .with(el(DAV, "prop").with_all(props.iter().cloned().map(Element::new)))
        .with_all(hrefs.iter().map(|h| el(DAV, "href").with_text(h.clone())));
    to_document(&root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::names;

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
