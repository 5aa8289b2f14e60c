//! The states sync results handed out, kept parsed for the next sync of their collections.
//!
//! An app passes each result's state back to the next sync of that collection, usually
//! unchanged: a batch loop at once, an incremental sync minutes later. Reading it again from
//! its JSON text costs the most of a sync for a large collection (for 10,000 members a fifth of
//! each batch's CPU in the npm package; for 1,000 members, half of an incremental sync's work
//! in the npm module when the state came back as an object), so a binding keeps the states it
//! handed out and starts the next sync from one when the caller shows the state is the same
//! one: by the number it was kept under (the wasm binding, whose JS layer knows whether its
//! text or object is the untouched one) or by its exact JSON text (the mobile bindings, whose
//! app passes the text back). Anything else (a state the app changed, an older checkpoint, one
//! that was let go) is read from its text as before, so what a sync does never depends on what
//! was kept.
//!
//! What is kept is bounded: one state per collection (the newest result's), at most
//! [`MAX_STATES`] states, and beside the newest only as many older ones as keep the members of
//! all within [`MAX_MEMBERS`]; the oldest go first.

use crate::error::Result;
use crate::model::SyncState;

/// At most this many states are kept (one per collection): a client that syncs more
/// collections than this in turn reads the oldest ones' text again.
pub const MAX_STATES: usize = 16;

/// The states kept besides the newest hold at most this many members in all (ETags and pending
/// hrefs: about 100-150 bytes each in memory); the newest is kept whatever its size (its
/// result was in memory a moment before).
pub const MAX_MEMBERS: usize = 20_000;

/// One result's state, kept parsed ([`KeptSyncState::keep`]).
#[derive(Debug)]
struct Kept {
    /// The number it was kept under (never 0).
    id: u32,
    state: SyncState,
    /// Its JSON text, when it is to be recognised by that ([`KeptSyncState::keep_with_text`]).
    text: Option<String>,
}

impl Kept {
    fn members(&self) -> usize {
        self.state.etags.len() + self.state.pending.len()
    }
}

/// The states the last results handed out, kept parsed (the module says why): one per
/// collection, replaced by the collection's next result, taken by the sync that starts from it.
#[derive(Debug, Default)]
pub struct KeptSyncState {
    last_id: u32,
    /// Oldest first.
    kept: Vec<Kept>,
}

impl KeptSyncState {
    /// Nothing kept.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps `state` (each sync result's, one-shot or batch, before it is handed out) in place
    /// of what was kept for its collection, and returns the number it is kept under: never 0,
    /// which [`KeptSyncState::take`] never matches.
    pub fn keep(&mut self, state: SyncState) -> u32 {
        self.put(state, None)
    }

    /// Keeps `state` with `text`, its JSON text as handed out (`SyncState::to_json`), to be
    /// recognised by that text ([`KeptSyncState::resume`]).
    pub fn keep_with_text(&mut self, state: SyncState, text: String) {
        self.put(state, Some(text));
    }

    fn put(&mut self, state: SyncState, text: Option<String>) -> u32 {
        self.last_id = self.last_id.wrapping_add(1).max(1);
        let url = &state.collection_url;
        self.kept.retain(|k| {
            !crate::href::same_resource(&k.state.collection_url, url) && k.id != self.last_id
        });
        self.kept.push(Kept {
            id: self.last_id,
            state,
            text,
        });
        let mut older: usize = self.kept[..self.kept.len() - 1]
            .iter()
            .map(Kept::members)
            .sum();
        while self.kept.len() > MAX_STATES || (self.kept.len() > 1 && older > MAX_MEMBERS) {
            older -= self.kept.remove(0).members();
        }
        self.last_id
    }

    /// Drops everything kept.
    pub fn forget(&mut self) {
        self.kept.clear();
    }

    /// How many states are kept.
    pub fn len(&self) -> usize {
        self.kept.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The state kept under `id`, taken out, when it belongs to `collection_url`; `None` (and
    /// what is kept stays) when `id` is 0 or names nothing kept. A state of another collection
    /// is refused as [`SyncState::resume`] refuses it.
    pub fn take(&mut self, id: u32, collection_url: &str) -> Result<Option<SyncState>> {
        self.take_if(collection_url, |k| id != 0 && k.id == id)
    }

    /// The state to sync `collection_url` from: the kept one, taken out, when `stored_json` is
    /// exactly the text it was kept with; else [`SyncState::resume`] of `stored_json` (what is
    /// kept stays).
    pub fn resume(&mut self, collection_url: &str, stored_json: Option<&str>) -> Result<SyncState> {
        if let Some(json) = stored_json
            && let Some(state) =
                self.take_if(collection_url, |k| k.text.as_deref() == Some(json))?
        {
            return Ok(state);
        }
        SyncState::resume(collection_url, stored_json)
    }

    fn take_if(
        &mut self,
        collection_url: &str,
        matches: impl Fn(&Kept) -> bool,
    ) -> Result<Option<SyncState>> {
        let Some(i) = self.kept.iter().position(matches) else {
            return Ok(None);
        };
        let k = self.kept.remove(i);
        k.state.check_collection(collection_url)?;
        Ok(Some(k.state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const WORK: &str = "https://dav.example.com/alice/work/";
    const HOME: &str = "https://dav.example.com/alice/home/";

    fn state(url: &str, pending: &[&str]) -> SyncState {
        let mut s = SyncState::new(url);
        s.sync_token = Some("t1".into());
        for p in pending {
            s.pending.insert((*p).to_owned());
        }
        s.more = !pending.is_empty();
        s
    }

    #[test]
    fn a_number_gives_back_the_state_kept_under_it_once() {
        let mut kept = KeptSyncState::new();
        let s = state(WORK, &["a.ics"]);
        let id = kept.keep(s.clone());
        assert_ne!(id, 0);
        assert_eq!(kept.take(0, WORK).unwrap(), None, "0 names nothing");
        assert_eq!(kept.take(id + 1, WORK).unwrap(), None, "another number");
        assert_eq!(kept.len(), 1, "a number that does not match leaves it kept");
        assert_eq!(kept.take(id, WORK).unwrap(), Some(s));
        assert_eq!(kept.take(id, WORK).unwrap(), None, "taken out");
    }

    #[test]
    fn each_collection_keeps_its_newest_state_and_forget_drops_all() {
        let mut kept = KeptSyncState::new();
        let first = kept.keep(state(WORK, &["a.ics"]));
        let home = kept.keep(state(HOME, &["b.ics"]));
        let second = kept.keep(state(WORK, &["c.ics"]));
        assert!(first != home && home != second && first != second);
        assert_eq!(kept.len(), 2, "one state per collection");
        assert_eq!(kept.take(first, WORK).unwrap(), None, "replaced");
        assert_eq!(
            kept.take(home, HOME).unwrap(),
            Some(state(HOME, &["b.ics"])),
            "another collection's result leaves it kept"
        );
        kept.keep(state(HOME, &["d.ics"]));
        kept.forget();
        assert!(kept.is_empty());
        assert_eq!(kept.take(second, WORK).unwrap(), None);
    }

    #[test]
    fn a_finished_result_is_kept_as_one_with_members_left() {
        let mut kept = KeptSyncState::new();
        let id = kept.keep(state(WORK, &[]));
        assert_ne!(id, 0);
        assert_eq!(kept.take(id, WORK).unwrap(), Some(state(WORK, &[])));

        let s = state(WORK, &["a.ics"]);
        kept.keep_with_text(s.clone(), s.to_json());
        let done = state(HOME, &[]);
        kept.keep_with_text(done.clone(), done.to_json());
        assert_eq!(kept.len(), 2);
        assert_eq!(kept.resume(WORK, Some(&s.to_json())).unwrap(), s);
        assert_eq!(kept.resume(HOME, Some(&done.to_json())).unwrap(), done);
        assert!(kept.is_empty(), "both taken");
    }

    fn collection(i: usize) -> String {
        format!("https://dav.example.com/alice/c{i}/")
    }

    fn with_members(url: &str, n: usize) -> SyncState {
        let mut s = SyncState::new(url);
        for i in 0..n {
            s.etags.insert(format!("{url}{i}.ics"), format!("\"{i}\""));
        }
        s
    }

    #[test]
    fn the_oldest_states_go_past_the_count() {
        let mut kept = KeptSyncState::new();
        let ids: Vec<u32> = (0..MAX_STATES + 2)
            .map(|i| kept.keep(with_members(&collection(i), 1)))
            .collect();
        assert_eq!(kept.len(), MAX_STATES);
        assert_eq!(kept.take(ids[0], &collection(0)).unwrap(), None);
        assert_eq!(kept.take(ids[1], &collection(1)).unwrap(), None);
        for (i, id) in ids.iter().enumerate().skip(2) {
            assert!(kept.take(*id, &collection(i)).unwrap().is_some(), "{i}");
        }
    }

    #[test]
    fn older_states_go_past_the_members_and_the_newest_stays_whatever_its_size() {
        let mut kept = KeptSyncState::new();
        let half = MAX_MEMBERS / 2;
        let a = kept.keep(with_members(&collection(0), half));
        let b = kept.keep(with_members(&collection(1), half));
        assert_eq!(kept.len(), 2, "the older one alone is within the bound");
        let c = kept.keep(with_members(&collection(2), 1));
        assert_eq!(
            kept.len(),
            3,
            "the two older ones together are just within it"
        );
        let d = kept.keep(with_members(&collection(3), 1));
        assert_eq!(kept.len(), 3, "past it: the oldest went");
        assert_eq!(kept.take(a, &collection(0)).unwrap(), None);
        let big = kept.keep(with_members(&collection(4), MAX_MEMBERS + 1));
        assert_eq!(kept.len(), 4, "the newest is kept whatever its size");
        let bigger = kept.keep(with_members(&collection(5), MAX_MEMBERS + 2));
        assert_eq!(
            kept.len(),
            1,
            "and goes as soon as it is an older one past the bound"
        );
        for (id, i) in [(b, 1), (c, 2), (d, 3), (big, 4)] {
            assert_eq!(kept.take(id, &collection(i)).unwrap(), None, "{i}");
        }
        assert!(kept.take(bigger, &collection(5)).unwrap().is_some());
    }

    #[test]
    fn a_kept_state_of_another_collection_is_refused() {
        let mut kept = KeptSyncState::new();
        let id = kept.keep(state(WORK, &["a.ics"]));
        let e = kept.take(id, HOME).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let s = state(WORK, &["a.ics"]);
        kept.keep_with_text(s.clone(), s.to_json());
        let e = kept.resume(HOME, Some(&s.to_json())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn the_exact_text_gives_back_the_kept_state_and_any_other_is_read() {
        let mut kept = KeptSyncState::new();
        let s = state(WORK, &["a.ics", "b.ics"]);
        let text = s.to_json();
        // The kept one is marked, so that which of the two came back shows.
        let mut marked = s.clone();
        marked.ctag = Some("kept".into());
        kept.keep_with_text(marked.clone(), text.clone());

        // Another text (an app that changed the state) is read, and the kept one stays.
        let mut changed = s.clone();
        changed.mark_pending("c.ics");
        let read = kept.resume(WORK, Some(&changed.to_json())).unwrap();
        assert_eq!(read, changed);
        assert_eq!(kept.len(), 1);
        // No text: a fresh state.
        assert_eq!(kept.resume(WORK, None).unwrap(), SyncState::new(WORK));
        // The same text: the kept state, taken out; the same text again is read.
        assert_eq!(kept.resume(WORK, Some(&text)).unwrap(), marked);
        assert_eq!(kept.resume(WORK, Some(&text)).unwrap(), s);
    }

    #[test]
    fn a_state_kept_by_number_is_never_taken_by_text() {
        let mut kept = KeptSyncState::new();
        let s = state(WORK, &["a.ics"]);
        let mut marked = s.clone();
        marked.ctag = Some("kept".into());
        kept.keep(marked);
        assert_eq!(kept.resume(WORK, Some(&s.to_json())).unwrap(), s);
        assert_eq!(kept.len(), 1);
    }
}
