//! A conflict in a flush: the app's hook or the entry's policy decides, and the decision is
//! applied (the server's version kept, the entry written again on it, merged, or kept as a
//! conflict).

use crate::model::DavObject;

use super::super::merge;
use super::super::{ConflictCase, Entry, EntryOp, HookDecision, OutcomeKind, Policy, Resolved};
use super::{FlushSteps, MAX_ROUNDS};

impl FlushSteps {
    /// A conflict: the policy decides.
    pub(super) fn conflict(&mut self, e: Entry, server: Option<DavObject>, reason: &str) {
        let policy = self.policy(&e);
        let local = e.op.data().map(str::to_owned);
        let hooked = self.hook.as_ref().and_then(|hook| {
            hook(&ConflictCase {
                entry: &e,
                local: local.as_deref(),
                base: e.base_data.as_deref(),
                server: server.as_ref(),
                policy,
                reason,
            })
        });
        let (decision, policy) = match hooked {
            Some(HookDecision::KeepBoth) => (Decision::Keep, policy),
            Some(HookDecision::KeepServer) => (Decision::Server, Policy::ServerWins),
            Some(HookDecision::KeepLocal) => (Decision::Local, policy),
            Some(HookDecision::Write(data)) => (Decision::Merged(data), policy),
            None => (
                self.decide(policy, &e, local.as_deref(), server.as_ref()),
                policy,
            ),
        };
        self.apply_decision(decision, policy, e, local, server, reason);
    }

    /// What a policy decides about a conflict.
    fn decide(
        &self,
        policy: Policy,
        e: &Entry,
        local: Option<&str>,
        server: Option<&DavObject>,
    ) -> Decision {
        let server = server.and_then(|o| o.data.as_deref());
        match policy {
            Policy::KeepBoth => Decision::Keep,
            Policy::ServerWins => Decision::Server,
            Policy::LocalWins => Decision::Local,
            Policy::NewestWins => match (local, server) {
                (Some(l), Some(s)) => match (merge::modified(l), merge::modified(s)) {
                    (Some(a), Some(b)) if a > b => Decision::Local,
                    (Some(a), Some(b)) if a < b => Decision::Server,
                    _ => Decision::Keep,
                },
                _ => Decision::Keep,
            },
            Policy::Merge => match (local, e.base_data.as_deref(), server) {
                (Some(l), Some(b), Some(s)) => match merge::merge(b, l, s) {
                    Some(m) => Decision::Merged(m),
                    None => Decision::Keep,
                },
                _ => Decision::Keep,
            },
        }
    }

    fn apply_decision(
        &mut self,
        decision: Decision,
        policy: Policy,
        e: Entry,
        local: Option<String>,
        server: Option<DavObject>,
        reason: &str,
    ) {
        let can_write = server.as_ref().is_none_or(|o| o.etag.is_some());
        match decision {
            Decision::Server => {
                let url = server.as_ref().map_or(e.url.clone(), |o| o.url.clone());
                self.outcome(
                    url,
                    OutcomeKind::ServerKept {
                        local,
                        server,
                        policy,
                    },
                );
            }
            Decision::Local if can_write => match server {
                Some(obj) => self.rebase(obj, None, Some(Resolved::LocalWins)),
                None => self.recreate(Resolved::LocalWins),
            },
            Decision::Merged(merged) if can_write => {
                let Some(obj) = server else {
                    // Gone on the server: created again with the merged data (a hook's
                    // decision; a deletion cannot be "merged" into data).
                    if let Some(w) = &mut self.work
                        && w.entry.op != EntryOp::Delete
                    {
                        w.entry.op = EntryOp::Update { data: merged };
                        return self.recreate(Resolved::Merged);
                    }
                    return self.conflict_kept(e, None, reason);
                };
                if obj.data.as_deref().is_some_and(|s| self.holds(&merged, s)) {
                    // The merge is what the server holds (an earlier flush wrote it).
                    let (url, etag, data) = (obj.url.clone(), obj.etag.clone(), obj.data.clone());
                    return self.outcome(
                        url,
                        OutcomeKind::Written {
                            etag,
                            data,
                            how: Resolved::Merged,
                            replaced: false,
                        },
                    );
                }
                if let Some(w) = &mut self.work {
                    w.entry.op = EntryOp::Update { data: merged };
                }
                self.rebase(obj, None, Some(Resolved::Merged));
            }
            _ => self.conflict_kept(e, server, reason),
        }
    }

    /// Creates the entry's object again (local wins over a deletion on the server).
    fn recreate(&mut self, how: Resolved) {
        let Some(w) = &mut self.work else { return };
        w.rounds += 1;
        if w.rounds > MAX_ROUNDS {
            let e = w.entry.clone();
            return self.conflict_kept(e, None, "the object kept changing on the server");
        }
        w.how = how;
        let e = &mut w.entry;
        match e.op.data() {
            Some(data) => {
                e.op = EntryOp::Create {
                    data: data.to_owned(),
                };
                e.base_etag = None;
                self.write();
            }
            None => {
                let url = e.url.clone();
                self.outcome(
                    url,
                    OutcomeKind::Deleted {
                        already_gone: true,
                        how,
                    },
                );
            }
        }
    }

    pub(super) fn conflict_kept(&mut self, e: Entry, server: Option<DavObject>, reason: &str) {
        let original = self.start.entry(e.id).cloned().unwrap_or(e);
        self.outcome(
            original.url.clone(),
            OutcomeKind::Conflict {
                local: original.op.data().map(str::to_owned),
                base: original.base_data.clone(),
                server,
                reason: reason.to_owned(),
            },
        );
    }
}

enum Decision {
    Keep,
    Server,
    Local,
    Merged(String),
}
