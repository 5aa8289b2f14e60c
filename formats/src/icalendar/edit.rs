//! Editing recurring series: overrides (RFC 5545 §3.8.4.4 RECURRENCE-ID), EXDATE (§3.8.5.1)
//! and ending a series with UNTIL (§3.3.10) to split it.

use std::fmt;

use super::civil::{dt_from_local_secs, local_secs};
use super::rrule::RuleIter;
use super::tz::{Resolver, TzPolicy};
use super::value::{CalDateTime, ValueError};
use super::{CalObject, CalObjectMut, Calendar, ObjectKind, same_rid};
use crate::contentline::{Component, Property};

/// Why an edit could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EditError {
    /// No master component (without RECURRENCE-ID) has this UID.
    NotFound,
    /// The master has no RRULE.
    NotRecurring,
    /// The occurrence is the first of the series: nothing would stay before the split.
    NothingBefore,
    /// A value of the master could not be read.
    Value(ValueError),
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::NotFound => f.write_str("no series with this UID"),
            EditError::NotRecurring => f.write_str("the series has no RRULE"),
            EditError::NothingBefore => f.write_str("the split point is the first occurrence"),
            EditError::Value(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for EditError {}

impl From<ValueError> for EditError {
    fn from(e: ValueError) -> Self {
        EditError::Value(e)
    }
}

fn is_master(c: &Component, uid: &str) -> bool {
    ObjectKind::of(c.name()).is_recurring_kind()
        && c.property("RECURRENCE-ID").is_none()
        && c.property("UID").is_some_and(|p| p.text_value() == uid)
}

fn is_override_of(c: &Component, uid: &str) -> bool {
    ObjectKind::of(c.name()).is_recurring_kind()
        && c.property("RECURRENCE-ID").is_some()
        && c.property("UID").is_some_and(|p| p.text_value() == uid)
}

/// Instant (seconds) of a value; floating and dates are read as UTC.
fn instant(v: &CalDateTime, resolver: &Resolver<'_>) -> i64 {
    let l = local_secs(v.local());
    match v {
        CalDateTime::Zoned { tzid, .. } => resolver.resolve(tzid).map_or(l, |z| z.local_to_utc(l)),
        _ => l,
    }
}

fn shift(v: &CalDateTime, delta: i64) -> CalDateTime {
    dt_from_local_secs(local_secs(v.local()).saturating_add(delta))
        .map_or_else(|| v.clone(), |dt| v.with_local(dt))
}

/// A copy of the master for one occurrence: DTSTART moved, DTEND (DUE) moved along as the
/// expansion places that occurrence's end, no recurrence.
fn instance_copy(
    master: &Component,
    rid: &CalDateTime,
    zones: &Resolver<'_>,
) -> Result<Component, EditError> {
    let view = CalObject::new(master);
    // an end that cannot be read is an error, not an end left where it was
    view.dtstart()?;
    view.date(view.end_name())?;
    let mut c = master.clone();
    for name in ["RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID"] {
        c.remove_properties(name);
    }
    CalObjectMut::new(&mut c).move_start(rid, zones);
    Ok(c)
}

impl Calendar {
    fn master_index(&self, uid: &str) -> Result<usize, EditError> {
        self.component()
            .components()
            .iter()
            .position(|c| is_master(c, uid))
            .ok_or(EditError::NotFound)
    }

    /// Returns the override for one occurrence, creating it from the master when there is none
    /// (a copy with `RECURRENCE-ID` and the occurrence's start and end). Edit it through the
    /// returned view; the master is untouched.
    pub fn override_occurrence(
        &mut self,
        uid: &str,
        recurrence_id: &CalDateTime,
    ) -> Result<CalObjectMut<'_>, EditError> {
        self.master_index(uid)?;
        let existing = self.component().components().iter().position(|c| {
            is_override_of(c, uid)
                && same_rid(
                    CalObject::new(c).recurrence_id().ok().flatten().as_ref(),
                    Some(recurrence_id),
                )
        });
        let idx = match existing {
            Some(i) => i,
            None => self.push_override(uid, recurrence_id)?,
        };
        self.component_mut()
            .components_mut()
            .get_mut(idx)
            .map(CalObjectMut::new)
            .ok_or(EditError::NotFound)
    }

    /// Adds an override for one occurrence without looking for one already there (the caller
    /// knows there is none, from [`Occurrences`](super::Occurrences)): a copy of the master
    /// with RECURRENCE-ID and the occurrence's start and end, after every other component.
    /// Returns its position among the components.
    pub fn push_override(
        &mut self,
        uid: &str,
        recurrence_id: &CalDateTime,
    ) -> Result<usize, EditError> {
        let midx = self.master_index(uid)?;
        let master = self
            .component()
            .components()
            .get(midx)
            .ok_or(EditError::NotFound)?;
        let zones = Resolver::new(self.component(), TzPolicy::default());
        let mut c = instance_copy(master, recurrence_id, &zones)?;
        CalObjectMut::new(&mut c).set_recurrence_id(Some(recurrence_id));
        let comps = self.component_mut().components_mut();
        comps.push(c);
        Ok(comps.len() - 1)
    }

    /// Deletes one occurrence: adds an EXDATE to the master (same form as DTSTART) and removes
    /// any override for it.
    pub fn delete_occurrence(
        &mut self,
        uid: &str,
        recurrence_id: &CalDateTime,
    ) -> Result<(), EditError> {
        self.exclude_occurrence(uid, recurrence_id)?;
        self.component_mut().components_mut().retain(|c| {
            !(is_override_of(c, uid)
                && same_rid(
                    CalObject::new(c).recurrence_id().ok().flatten().as_ref(),
                    Some(recurrence_id),
                ))
        });
        Ok(())
    }

    /// The first half of [`Calendar::delete_occurrence`]: the EXDATE added to the master (same
    /// form as DTSTART), any override for the occurrence left in place (for a caller that
    /// removes those itself, found by [`Occurrences::remove`](super::Occurrences::remove)).
    pub fn exclude_occurrence(
        &mut self,
        uid: &str,
        recurrence_id: &CalDateTime,
    ) -> Result<(), EditError> {
        let midx = self.master_index(uid)?;
        let start = self
            .component()
            .components()
            .get(midx)
            .map(|m| CalObject::new(m).dtstart())
            .transpose()?
            .flatten();
        let ex = match &start {
            Some(s) => s.with_local(recurrence_id.local()),
            None => recurrence_id.clone(),
        };
        if let Some(m) = self.component_mut().components_mut().get_mut(midx) {
            CalObjectMut::new(m).add_exdate(&ex);
        }
        Ok(())
    }

    /// Splits a series at one occurrence ("this and following"): the series here ends just
    /// before it (UNTIL; COUNT is replaced), and a new object with `new_uid` starts at it with
    /// the same rule (COUNT reduced by the occurrences left behind). RDATE, EXDATE and
    /// overrides at or after the split move to the new object, which is returned with the
    /// VCALENDAR properties and VTIMEZONEs copied; store it as a new resource.
    pub fn split_series(
        &mut self,
        uid: &str,
        recurrence_id: &CalDateTime,
        new_uid: &str,
    ) -> Result<Calendar, EditError> {
        let midx = self.master_index(uid)?;
        let master = self
            .component()
            .components()
            .get(midx)
            .ok_or(EditError::NotFound)?
            .clone();
        let view = CalObject::new(&master);
        let rules = view.rrules()?;
        if rules.is_empty() {
            return Err(EditError::NotRecurring);
        }
        let start = view.dtstart()?.ok_or(EditError::NotRecurring)?;
        let resolver = Resolver::new(self.component(), TzPolicy::default());
        let split = start.with_local(recurrence_id.local());
        let split_at = instant(&split, &resolver);
        if split_at <= instant(&start, &resolver) {
            return Err(EditError::NothingBefore);
        }
        let split_local = local_secs(split.local());

        // old series: UNTIL just before the split
        let until = match &start {
            CalDateTime::Date(_) => {
                let d = split.date();
                CalDateTime::Date(d.yesterday().unwrap_or(d))
            }
            CalDateTime::Floating(_) => shift(&split, -1),
            _ => dt_from_local_secs(split_at - 1).map_or_else(|| split.clone(), CalDateTime::Utc),
        };
        let mut old = master.clone();
        old.remove_properties("RRULE");
        let mut new = instance_copy(&master, &split, &resolver)?;
        new.remove_properties("RRULE");
        for rule in &rules {
            let mut o = rule.clone();
            let mut n = rule.clone();
            if let Some(count) = rule.count {
                let before = RuleIter::new(rule, start.local(), 1_000_000)
                    .take_while(|&l| l < split_local)
                    .count() as u32;
                n.count = Some(count.saturating_sub(before).max(1));
            }
            o.count = None;
            o.until = Some(until.clone());
            old.push_property(Property::new("RRULE", &o.to_string()));
            new.push_property(Property::new("RRULE", &n.to_string()));
        }
        // RDATE / EXDATE partition
        for name in ["RDATE", "EXDATE"] {
            let props: Vec<Property> = master.properties_named(name).cloned().collect();
            old.remove_properties(name);
            for p in props {
                let values = CalDateTime::list_from_property(&p)?;
                let (before, after): (Vec<_>, Vec<_>) = values
                    .into_iter()
                    .partition(|v| instant(v, &resolver) < split_at);
                for v in before {
                    old.push_property(v.to_property(name));
                }
                for v in after {
                    new.push_property(v.to_property(name));
                }
            }
        }
        CalObjectMut::new(&mut new).set_uid(new_uid);
        CalObjectMut::new(&mut old).bump_sequence();

        // overrides at or after the split move
        let to_move: Vec<usize> = self
            .component()
            .components()
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                is_override_of(c, uid)
                    && CalObject::new(c)
                        .recurrence_id()
                        .ok()
                        .flatten()
                        .is_some_and(|r| instant(&r, &resolver) >= split_at)
            })
            .map(|(i, _)| i)
            .collect();
        let header: Vec<Property> = self.component().properties().to_vec();
        let zones: Vec<Component> = self
            .component()
            .components()
            .iter()
            .filter(|c| c.is("VTIMEZONE"))
            .cloned()
            .collect();
        let root_name = self.component().name().to_owned();
        let comps = self.component_mut().components_mut();
        let mut moved = Vec::new();
        let mut keep = Vec::with_capacity(comps.len());
        for (i, mut c) in std::mem::take(comps).into_iter().enumerate() {
            if i == midx {
                keep.push(old.clone());
            } else if to_move.contains(&i) {
                CalObjectMut::new(&mut c).set_uid(new_uid);
                moved.push(c);
            } else {
                keep.push(c);
            }
        }
        *comps = keep;
        let mut root = Component::new(&root_name);
        for p in header {
            root.push_property(p);
        }
        for tz in zones {
            root.push_component(tz);
        }
        root.push_component(new);
        for c in moved {
            root.push_component(c);
        }
        Ok(Calendar { root })
    }
}

#[cfg(test)]
#[path = "edit_tests.rs"]
mod tests;
