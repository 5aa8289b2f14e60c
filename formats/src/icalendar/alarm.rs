//! Alarms (RFC 5545 §3.6.6 VALARM): read as plain summaries, added to and removed from an event
//! or a to-do. Reading goes through [`AlarmRef`](super::AlarmRef); writing builds the VALARM
//! from typed values only, so no text reaches the object unescaped.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::value::Duration;
use super::{AlarmRef, CalObjectMut};
use crate::contentline::{Component, Property};

/// What a new alarm does (ACTION). EMAIL alarms need recipients and a subject of their own and
/// are not offered here (they stay as read, see [`AlarmSummary::action`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum AlarmAction {
    /// `DISPLAY`: a notification with a text (DESCRIPTION).
    Display,
    /// `AUDIO`: a sound. Some providers ignore or refuse it (Google CalDAV).
    Audio,
}

impl AlarmAction {
    /// The ACTION value.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmAction::Display => "DISPLAY",
            AlarmAction::Audio => "AUDIO",
        }
    }
}

/// A VALARM as plain data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AlarmSummary {
    /// ACTION as written (`DISPLAY`, `AUDIO`, `EMAIL`, ...).
    pub action: Option<String>,
    /// TRIGGER as a duration (`-PT15M`: 15 minutes before), relative to the start, or to the
    /// end when `related_to_end`; `None` for an absolute trigger.
    pub trigger: Option<String>,
    /// TRIGGER as an absolute time (ISO text, `...Z`), when it is one.
    pub trigger_at: Option<String>,
    /// The trigger is relative to the end (`RELATED=END`).
    pub related_to_end: bool,
    /// DESCRIPTION.
    pub description: Option<String>,
}

impl AlarmRef<'_> {
    /// The alarm as plain data.
    pub fn to_summary(&self) -> AlarmSummary {
        AlarmSummary {
            action: self.action().map(str::to_owned),
            trigger: self.trigger_duration().map(|d| d.to_string()),
            trigger_at: self.trigger_absolute().map(|t| t.to_iso()),
            related_to_end: self.related_to_end(),
            description: self.description().map(|d| d.into_owned()),
        }
    }
}

/// An alarm to add: what it does and when, relative to the start (or the end).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAlarm {
    /// What it does.
    pub action: AlarmAction,
    /// When: negative before, positive after (`-PT15M`, `P0D` at the time itself).
    pub trigger: Duration,
    /// Relative to the end (`RELATED=END`) instead of the start.
    pub related_to_end: bool,
    /// The text a DISPLAY alarm shows; `None` uses the object's SUMMARY, or `Reminder`
    /// (RFC 5545 requires a DESCRIPTION on DISPLAY alarms). Ignored for AUDIO.
    pub description: Option<String>,
}

impl NewAlarm {
    /// An alarm from a trigger written as text: an RFC 5545 duration (`-PT15M`: 15 minutes
    /// before, `PT0S`: at the time itself), relative to the start, or to the end with
    /// `related_to_end`. The one check every binding's "add an alarm" goes through; anything
    /// else is an [`InvalidTrigger`] (the core's `InvalidInput`).
    pub fn from_text(
        action: AlarmAction,
        trigger: &str,
        related_to_end: bool,
        description: Option<String>,
    ) -> Result<NewAlarm, InvalidTrigger> {
        let trigger = Duration::parse(trigger).ok_or_else(|| InvalidTrigger::new(trigger))?;
        Ok(NewAlarm {
            action,
            trigger,
            related_to_end,
            description,
        })
    }
}

/// A trigger text that is not an RFC 5545 duration, from [`NewAlarm::from_text`]. It keeps
/// at most the first [`InvalidTrigger::SHOWN`] characters of the text, so the error stays
/// small whatever the caller passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidTrigger {
    shown: String,
}

impl InvalidTrigger {
    /// How many characters of the refused text the error keeps.
    pub const SHOWN: usize = 64;

    fn new(text: &str) -> InvalidTrigger {
        let mut shown: String = text.chars().take(Self::SHOWN).collect();
        if shown.len() < text.len() {
            shown.push_str("...");
        }
        InvalidTrigger { shown }
    }
}

impl fmt::Display for InvalidTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "alarm trigger `{}` is not an RFC 5545 duration (like -PT15M)",
            self.shown
        )
    }
}

impl std::error::Error for InvalidTrigger {}

impl CalObjectMut<'_> {
    /// Adds a VALARM after the existing ones.
    pub fn add_alarm(&mut self, alarm: &NewAlarm) {
        let mut valarm = Component::new("VALARM");
        valarm.push_property(Property::new("ACTION", alarm.action.as_str()));
        let mut trigger = Property::new("TRIGGER", &alarm.trigger.to_string());
        if alarm.related_to_end {
            trigger.set_param("RELATED", &["END"]);
        }
        valarm.push_property(trigger);
        if alarm.action == AlarmAction::Display {
            let text = match &alarm.description {
                Some(d) => d.clone(),
                None => self
                    .view()
                    .summary()
                    .map_or_else(|| "Reminder".to_owned(), |s| s.into_owned()),
            };
            valarm.push_property(Property::text("DESCRIPTION", &text));
        }
        self.component().push_component(valarm);
    }

    /// Removes every VALARM; returns how many went.
    pub fn remove_alarms(&mut self) -> usize {
        let children = self.component().components_mut();
        let before = children.len();
        children.retain(|c| !c.is("VALARM"));
        before - children.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::icalendar::Calendar;

    const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n\
        UID:a1\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250310T110000Z\r\nSUMMARY:Lunch\r\n\
        BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER;VALUE=DATE-TIME:20250310T100000Z\r\n\
        DESCRIPTION:Soon\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    fn alarms(cal: &Calendar) -> Vec<AlarmSummary> {
        let event = cal.find("a1", None).expect("the event");
        event.alarms().map(|a| a.to_summary()).collect()
    }

    #[test]
    fn a_trigger_is_read_from_text_or_refused() {
        let alarm = NewAlarm::from_text(AlarmAction::Display, "-PT15M", true, None).unwrap();
        assert_eq!(alarm.trigger, Duration::parse("-PT15M").unwrap());
        assert_eq!(alarm.trigger.exact_seconds(), -900);
        assert!(alarm.related_to_end);
        assert_eq!(alarm.action, AlarmAction::Display);

        for bad in ["", "15 minutes", "PT", "-PT15", "20250310T100000Z"] {
            let e = NewAlarm::from_text(AlarmAction::Audio, bad, false, None).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("alarm trigger `{bad}` is not an RFC 5545 duration (like -PT15M)")
            );
        }

        // A long text is cut in the error, on a character boundary.
        let long = "\u{e9}".repeat(10_000);
        let e = NewAlarm::from_text(AlarmAction::Display, &long, false, None).unwrap_err();
        let shown = "\u{e9}".repeat(InvalidTrigger::SHOWN) + "...";
        assert!(e.to_string().contains(&format!("`{shown}`")), "{e}");
    }

    #[test]
    fn alarms_are_added_read_back_and_removed() {
        let mut cal = Calendar::parse(ICS).unwrap();
        let mut event = cal.find_mut("a1", None).unwrap();
        event.add_alarm(&NewAlarm {
            action: AlarmAction::Display,
            trigger: Duration::parse("-PT15M").unwrap(),
            related_to_end: false,
            description: None,
        });
        event.add_alarm(&NewAlarm {
            action: AlarmAction::Audio,
            trigger: Duration::parse("PT5M").unwrap(),
            related_to_end: true,
            description: Some("not written for audio".into()),
        });
        let text = cal.to_ics();
        let again = Calendar::parse(&text).unwrap();
        let read = alarms(&again);
        assert_eq!(
            read,
            vec![
                AlarmSummary {
                    action: Some("DISPLAY".into()),
                    trigger: None,
                    trigger_at: Some("2025-03-10T10:00:00Z".into()),
                    related_to_end: false,
                    description: Some("Soon".into()),
                },
                AlarmSummary {
                    action: Some("DISPLAY".into()),
                    trigger: Some("-PT15M".into()),
                    trigger_at: None,
                    related_to_end: false,
                    description: Some("Lunch".into()),
                },
                AlarmSummary {
                    action: Some("AUDIO".into()),
                    trigger: Some("PT5M".into()),
                    trigger_at: None,
                    related_to_end: true,
                    description: None,
                },
            ]
        );
        assert!(text.contains("TRIGGER;RELATED=END:PT5M\r\n"), "{text}");
        let mut cal = again;
        assert_eq!(cal.find_mut("a1", None).unwrap().remove_alarms(), 3);
        assert_eq!(alarms(&cal), vec![]);
        assert_eq!(cal.find_mut("a1", None).unwrap().remove_alarms(), 0);
    }

    #[test]
    fn a_description_cannot_inject_lines() {
        let mut cal = Calendar::parse(ICS).unwrap();
        cal.find_mut("a1", None).unwrap().add_alarm(&NewAlarm {
            action: AlarmAction::Display,
            trigger: Duration::parse("-P1D").unwrap(),
            related_to_end: false,
            description: Some("Go\r\nEND:VALARM\r\nATTENDEE:mailto:x@example.com".into()),
        });
        let text = cal.to_ics();
        assert!(!text.contains("\r\nATTENDEE"), "{text}");
        let again = Calendar::parse(&text).unwrap();
        let last = alarms(&again).pop().unwrap();
        assert_eq!(
            last.description.as_deref(),
            Some("Go\nEND:VALARM\nATTENDEE:mailto:x@example.com")
        );
        assert_eq!(last.trigger.as_deref(), Some("-P1D"));
    }
}
