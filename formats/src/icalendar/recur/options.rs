//! What an expansion is asked (the window's budgets and zones) and what it gives back
//! (occurrences, truncation, errors).

use std::fmt;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::super::tz::TzPolicy;
use super::super::value::{CalDateTime, ValueError};

// ---------------------------------------------------------------------------------------------
// expansion of a calendar

/// The default of [`ExpandOptions::max_instances`] (and of davkit's `Limits::max_instances`).
pub const MAX_INSTANCES: usize = 10_000;

/// The default of [`ExpandOptions::max_iterations`] (and of davkit's `Limits::max_iterations`).
pub const MAX_ITERATIONS: usize = 1_000_000;

/// The default of [`ExpandOptions::max_total_iterations`] (and of davkit's
/// `Limits::max_total_iterations`).
pub const MAX_TOTAL_ITERATIONS: usize = 10_000_000;

/// Options for [`Calendar::expand`](crate::icalendar::Calendar::expand).
/// davkit's `Limits::expand_options` makes them from a client's configured budgets.
///
/// The budgets bound the work of one call whatever the input: memory stays proportional to the
/// input plus `max_instances`, and time to the input plus `max_total_iterations`. A budget that
/// runs out never gives a result that looks complete: [`Expansion::truncated`] is set and
/// [`Expansion::truncation`] says which one.
#[derive(Clone, Debug)]
pub struct ExpandOptions {
    /// Stop after this many occurrences in the window. Default 10,000. Reported as
    /// [`TruncationReason::MaxInstances`]; each series also stops generating after
    /// `4 * max_instances + 1000` starts in the window (EXDATEs and overrides may drop some).
    pub max_instances: usize,
    /// Stop one RRULE after this many steps: a step is one period (year, month, week, day,
    /// hour...) generated, one day examined in it, or one start produced. Starts before the
    /// window count, so a `COUNT` rule that must be walked from a DTSTART long before the window,
    /// or a rule that never matches, stops here. Default 1,000,000 (a few milliseconds).
    /// Reported as [`TruncationReason::RuleIterations`]; the other series are still expanded.
    pub max_iterations: usize,
    /// Stop the whole expansion after this many steps over all rules (many events whose rules
    /// never match). Default 10,000,000. Reported as [`TruncationReason::TotalIterations`].
    pub max_total_iterations: usize,
    /// The zone for floating and all-day values when comparing with the window (default UTC).
    pub floating_tz: TimeZone,
    /// Which source resolves a TZID.
    pub tz_policy: TzPolicy,
    /// Read floating and UTC times in the calendar's `X-WR-TIMEZONE`, when it has one (as
    /// Google Calendar and most clients do for such files). Default true.
    pub x_wr_timezone: bool,
}

impl Default for ExpandOptions {
    fn default() -> Self {
        ExpandOptions {
            max_instances: MAX_INSTANCES,
            max_iterations: MAX_ITERATIONS,
            max_total_iterations: MAX_TOTAL_ITERATIONS,
            floating_tz: TimeZone::UTC,
            tz_policy: TzPolicy::default(),
            x_wr_timezone: true,
        }
    }
}

/// Which budget of [`ExpandOptions`] stopped an expansion early.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TruncationReason {
    /// More occurrences in the window than [`ExpandOptions::max_instances`].
    MaxInstances,
    /// One RRULE took more than [`ExpandOptions::max_iterations`] steps; that series may lack
    /// occurrences, the others are complete.
    RuleIterations,
    /// All rules together took more than [`ExpandOptions::max_total_iterations`] steps; the
    /// series not reached by then are missing.
    TotalIterations,
}

impl TruncationReason {
    /// A stable name: `max-instances`, `rule-iterations` or `total-iterations`.
    pub fn as_str(self) -> &'static str {
        match self {
            TruncationReason::MaxInstances => "max-instances",
            TruncationReason::RuleIterations => "rule-iterations",
            TruncationReason::TotalIterations => "total-iterations",
        }
    }
}

impl fmt::Display for TruncationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One occurrence in the window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// UID of the series.
    pub uid: Option<String>,
    /// The RECURRENCE-ID that names this occurrence (its original start).
    pub recurrence_id: CalDateTime,
    /// Start, in the form of DTSTART (same TZID, or date, or floating).
    pub start: CalDateTime,
    /// End, in the same form.
    pub end: CalDateTime,
    /// Start as an instant.
    pub start_utc: Timestamp,
    /// End as an instant.
    pub end_utc: Timestamp,
    /// True when an overriding component (with RECURRENCE-ID) supplies this occurrence.
    pub is_override: bool,
    /// Index in [`crate::contentline::Component::components`] of the VCALENDAR of the component
    /// that supplies the data (master or override), for typed access.
    pub component_index: usize,
}

/// The result of [`Calendar::expand`](crate::icalendar::Calendar::expand).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expansion {
    /// Occurrences sorted by start.
    pub occurrences: Vec<Occurrence>,
    /// True when a budget of [`ExpandOptions`] stopped the expansion early: occurrences may be
    /// missing.
    pub truncated: bool,
    /// The first budget that stopped it (set whenever `truncated` is).
    pub truncation: Option<TruncationReason>,
    /// Components skipped, zones not found or cut, budgets hit, in plain words: at most
    /// 100 distinct ones, each at most a few hundred bytes.
    pub warnings: Vec<String>,
}

impl Expansion {
    pub(super) fn truncate(&mut self, reason: TruncationReason) {
        self.truncated = true;
        self.truncation.get_or_insert(reason);
    }
}

/// Why an expansion could not run.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpandError {
    /// The window ends before it starts.
    InvalidWindow,
    /// A value needed for the expansion is malformed.
    Value(ValueError),
}

impl fmt::Display for ExpandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpandError::InvalidWindow => f.write_str("window end is before its start"),
            ExpandError::Value(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ExpandError {}

impl From<ValueError> for ExpandError {
    fn from(e: ValueError) -> Self {
        ExpandError::Value(e)
    }
}
