//! The state a batched sync handed out, kept parsed for the next batch.
//!
//! A batch loop passes each result's state back to the next batch, usually unchanged. Reading it
//! again from its JSON text costs the most of a batch for a large collection (for 10,000 members
//! a fifth of each batch's CPU in the npm package), so a binding keeps the last state it handed
//! out and starts the next batch from it when the caller shows the state is the same one: by the
//! number it was kept under (the wasm binding, whose JS layer knows whether its text is the
//! untouched one) or by its exact JSON text (the mobile bindings, whose app passes the text
//! back). Anything else (another collection's state, a state the app changed, an older
//! checkpoint) is read from its text as before, so what a sync does never depends on what was
//! kept.

use crate::error::Result;
use crate::model::SyncState;

/// One batch result's state, kept parsed ([`KeptSyncState::keep`]).
#[derive(Debug)]
struct Kept {
    /// The number it was kept under (never 0).
    id: u32,
    state: SyncState,
    /// Its JSON text, when it is to be recognised by that ([`KeptSyncState::keep_with_text`]).
    text: Option<String>,
}

/// The state the last batch with members left handed out, kept parsed (the module says why).
/// One slot per client: taken by the batch that starts from it, replaced by the next result
/// with members left, dropped by [`KeptSyncState::forget`] when the batches are done.
#[derive(Debug, Default)]
pub struct KeptSyncState {
    last_id: u32,
    kept: Option<Kept>,
}

impl KeptSyncState {
    /// Nothing kept.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps `state` (a result's, with members left) in place of what was kept, and returns the
    /// number it is kept under: never 0, which [`KeptSyncState::take`] never matches.
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
        self.kept = Some(Kept {
            id: self.last_id,
            state,
            text,
        });
        self.last_id
    }

    /// What a client does with each sync result, one-shot or batch, before handing it out:
    /// keeps its `state` when it has members left (`more`, the result's
    /// [`SyncResult::more`](crate::SyncResult::more)) and returns the number it is kept under;
    /// otherwise drops what was kept (the batches are done, or a one-shot sync came between
    /// them: nothing to keep memory for) and returns 0.
    pub fn after_result(&mut self, state: SyncState, more: bool) -> u32 {
        if more {
            self.keep(state)
        } else {
            self.forget();
            0
        }
    }

    /// [`KeptSyncState::after_result`] for a state handed out as `text`, its JSON text, to be
    /// recognised by that text ([`KeptSyncState::resume`]).
    pub fn after_result_with_text(&mut self, state: SyncState, more: bool, text: &str) {
        if more {
            self.keep_with_text(state, text.to_owned());
        } else {
            self.forget();
        }
    }

    /// Drops what is kept (a result without members left: nothing to keep memory for).
    pub fn forget(&mut self) {
        self.kept = None;
    }

    /// Whether a state is kept.
    pub fn is_kept(&self) -> bool {
        self.kept.is_some()
    }

    /// The state kept under `id`, taken out, when it belongs to `collection_url`; `None` (and
    /// the state stays kept) when `id` is 0 or another number. A state of another collection is
    /// refused as [`SyncState::resume`] refuses it.
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
        matches: impl FnOnce(&Kept) -> bool,
    ) -> Result<Option<SyncState>> {
        match self.kept.take() {
            Some(k) if matches(&k) => {
                k.state.check_collection(collection_url)?;
                Ok(Some(k.state))
            }
            other => {
                self.kept = other;
                Ok(None)
            }
        }
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
        assert!(
            kept.is_kept(),
            "a number that does not match leaves it kept"
        );
        assert_eq!(kept.take(id, WORK).unwrap(), Some(s));
        assert_eq!(kept.take(id, WORK).unwrap(), None, "taken out");
    }

    #[test]
    fn a_newer_state_replaces_the_kept_one_and_forget_drops_it() {
        let mut kept = KeptSyncState::new();
        let first = kept.keep(state(WORK, &["a.ics"]));
        let second = kept.keep(state(HOME, &["b.ics"]));
        assert_ne!(first, second);
        assert_eq!(kept.take(first, WORK).unwrap(), None);
        assert_eq!(
            kept.take(second, HOME).unwrap(),
            Some(state(HOME, &["b.ics"]))
        );
        kept.keep(state(WORK, &["c.ics"]));
        kept.forget();
        assert!(!kept.is_kept());
    }

    #[test]
    fn a_result_keeps_its_state_only_with_members_left() {
        let mut kept = KeptSyncState::new();
        let id = kept.after_result(state(WORK, &["a.ics"]), true);
        assert_ne!(id, 0);
        assert_eq!(
            kept.after_result(state(HOME, &[]), false),
            0,
            "a finished result keeps nothing"
        );
        assert!(!kept.is_kept(), "and drops what was kept");
        assert_eq!(kept.take(id, WORK).unwrap(), None);

        let s = state(WORK, &["a.ics"]);
        kept.after_result_with_text(s.clone(), true, &s.to_json());
        assert!(kept.is_kept());
        kept.after_result_with_text(state(HOME, &[]), false, "{}");
        assert!(!kept.is_kept());
        assert_eq!(
            kept.resume(WORK, Some(&s.to_json())).unwrap(),
            s,
            "read from its text"
        );
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
        assert!(kept.is_kept());
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
        assert!(kept.is_kept());
    }
}
