//! The master and overrides of one object, found many times over.
//!
//! [`Calendar::find`] reads every component's RECURRENCE-ID on each call and, where the two
//! values' forms differ (a UTC value against a zoned one), converts both to UTC. A loop that
//! calls it for each component of another calendar is quadratic in those conversions: applying
//! an iTIP reply of 1,000 overrides to a stored series of 1,000 took about a second natively.
//! [`Occurrences`] reads them once and answers each lookup by binary search.

use super::civil::local_secs;
use super::recur::utc_secs;
use super::{CalDateTime, CalObject, Calendar};

/// Where the master and each override of one UID sit among a calendar's components
/// (positions in `calendar.component().components()`), read once. [`Occurrences::find`]
/// answers as [`Calendar::find`] does: the first object (VEVENT, VTODO, VJOURNAL, VFREEBUSY)
/// with that UID whose RECURRENCE-ID is the same local time as the one asked for, or the same
/// instant (TZIDs through the IANA database); for none, the first without a RECURRENCE-ID it
/// can read. Kept true by the caller: [`Occurrences::insert`] for an object it adds,
/// [`Occurrences::remove`] for the ones it takes out.
#[derive(Clone, Debug, Default)]
pub struct Occurrences {
    /// Positions of the objects without a (readable) RECURRENCE-ID, ascending.
    masters: Vec<usize>,
    /// (local time in seconds, position) of each override, sorted.
    by_local: Vec<(i64, usize)>,
    /// (instant in seconds, position) of each override whose instant is known, sorted.
    by_instant: Vec<(i64, usize)>,
}

impl Occurrences {
    /// Reads the objects with `uid` in `calendar`.
    pub fn of(calendar: &Calendar, uid: &str) -> Occurrences {
        let mut out = Occurrences::default();
        for (pos, c) in calendar.component().components().iter().enumerate() {
            let object = CalObject::new(c);
            if !object.kind.is_object() || object.uid().as_deref() != Some(uid) {
                continue;
            }
            out.insert(pos, object.recurrence_id().ok().flatten().as_ref());
        }
        out
    }

    /// The position of the master (`None`) or of the override for `recurrence_id`.
    pub fn find(&self, recurrence_id: Option<&CalDateTime>) -> Option<usize> {
        let Some(rid) = recurrence_id else {
            return self.masters.first().copied();
        };
        let by_local = first(&self.by_local, local_secs(rid.local()));
        let by_instant = utc_secs(rid).and_then(|at| first(&self.by_instant, at));
        match (by_local, by_instant) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Notes an override added at `pos` (after every position already held) for
    /// `recurrence_id`, or a master for `None`. (Each entry put in its place rather than a sort
    /// at the end: the sort's code was 1 KB of the npm module, and the moves cost well under a
    /// millisecond at `MAX_COMPONENTS`.)
    pub fn insert(&mut self, pos: usize, recurrence_id: Option<&CalDateTime>) {
        let Some(rid) = recurrence_id else {
            self.masters.push(pos);
            return;
        };
        put(&mut self.by_local, (local_secs(rid.local()), pos));
        if let Some(at) = utc_secs(rid) {
            put(&mut self.by_instant, (at, pos));
        }
    }

    /// Takes every override that [`Occurrences::find`] would match for `recurrence_id` out of
    /// the index, and returns their positions (what [`Calendar::delete_occurrence`] removes,
    /// and a VFREEBUSY with that UID and RECURRENCE-ID, which it leaves).
    pub fn remove(&mut self, recurrence_id: &CalDateTime) -> Vec<usize> {
        let local = local_secs(recurrence_id.local());
        let at = utc_secs(recurrence_id);
        let mut gone: Vec<usize> = Vec::new();
        for &(key, pos) in &self.by_local {
            if key == local {
                gone.push(pos);
            }
        }
        for &(key, pos) in &self.by_instant {
            if Some(key) == at && !gone.contains(&pos) {
                gone.push(pos);
            }
        }
        drop_positions(&mut self.by_local, &gone);
        drop_positions(&mut self.by_instant, &gone);
        gone
    }
}

/// The lowest position with `key` in a sorted list.
fn first(list: &[(i64, usize)], key: i64) -> Option<usize> {
    list.get(place(list, (key, 0)))
        .filter(|(k, _)| *k == key)
        .map(|&(_, pos)| pos)
}

/// Puts an entry in its place in a sorted list.
fn put(list: &mut Vec<(i64, usize)>, entry: (i64, usize)) {
    list.insert(place(list, entry), entry);
}

/// Where `entry` goes in a sorted list: after every smaller entry.
fn place(list: &[(i64, usize)], entry: (i64, usize)) -> usize {
    list.partition_point(|e| *e < entry)
}

/// Takes the entries of these positions out of a list.
fn drop_positions(list: &mut Vec<(i64, usize)>, gone: &[usize]) {
    list.retain(|(_, pos)| !gone.contains(pos));
}
