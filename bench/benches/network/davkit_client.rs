//! davkit's side: a `DavClient` on reqwest through the counting transport, one step at a time.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use davkit::{
    CalendarFilter, Change, CollectionKind, Config, Credentials, DavClient, ReqwestTransport,
    Service as DavService, SyncState,
};

use crate::counting::{Counted, Sample, expect, measure};
use crate::{Settings, Target};

pub(crate) struct Davkit {
    client: DavClient<Counted<ReqwestTransport>>,
    /// The same transport (one connection pool), multiget batches as large as the collection.
    wide: DavClient<Counted<ReqwestTransport>>,
    count: Arc<AtomicUsize>,
    state: Option<SyncState>,
}

impl Davkit {
    pub(crate) fn new(target: &Target, s: &Settings) -> Davkit {
        let credentials = match &target.user {
            Some((u, p)) => Credentials::basic(u.clone(), p.clone()),
            None => Credentials::None,
        };
        let config = Config::new(target.url.clone(), credentials);
        let transport = ReqwestTransport::new()
            .unwrap()
            .with_max_body_bytes(config.limits.max_body_bytes);
        let count = Arc::new(AtomicUsize::new(0));
        let counted = |inner: ReqwestTransport| Counted {
            inner,
            count: count.clone(),
            whole: s.whole_bodies,
        };
        let mut wide = config.clone();
        wide.multiget_batch_size = s.events.max(1);
        Davkit {
            wide: DavClient::new(wide, counted(transport.clone())).unwrap(),
            client: DavClient::new(config, counted(transport)).unwrap(),
            count,
            state: None,
        }
    }

    pub(crate) async fn step(&mut self, step: usize, target: &Target, s: &Settings) -> Sample {
        let collection = target.collection_url();
        let client = &self.client;
        match step {
            0 => {
                let f = async {
                    let found = client
                        .discover(DavService::CalDav)
                        .await
                        .map_err(|e| e.to_string())?;
                    let want = target.collection.trim_end_matches('/');
                    if found
                        .calendars()
                        .any(|c| c.url.trim_end_matches('/').ends_with(want))
                    {
                        Ok(())
                    } else {
                        Err(format!("{want} not among {:?}", found.collections))
                    }
                };
                measure(&self.count, f).await.0
            }
            1 => {
                let f = async {
                    let filter = CalendarFilter {
                        component: "VEVENT".into(),
                        time_range: None,
                    };
                    let objects = client
                        .calendar_query(&collection, filter)
                        .await
                        .map_err(|e| e.to_string())?;
                    let with_data = objects.iter().filter(|o| o.data.is_some()).count();
                    expect("events with data", with_data, s.events)
                };
                measure(&self.count, f).await.0
            }
            2 => {
                let f = async {
                    let result = client
                        .sync(SyncState::new(&collection), CollectionKind::Calendar)
                        .await
                        .map_err(|e| e.to_string())?;
                    expect("changes", result.changes.len(), s.events)?;
                    let added = result.changes.iter().filter(|c| has_data(c)).count();
                    expect("changes with data", added, s.events)?;
                    stored(&result.state);
                    Ok(result.state)
                };
                let (sample, state) = measure(&self.count, f).await;
                self.state = state;
                sample
            }
            4 => {
                let f = async {
                    let mut state = SyncState::new(&collection);
                    let (mut changes, mut with_data) = (0, 0);
                    loop {
                        let result = client
                            .sync_batch(state, CollectionKind::Calendar, 500)
                            .await
                            .map_err(|e| e.to_string())?;
                        changes += result.changes.len();
                        with_data += result.changes.iter().filter(|c| has_data(c)).count();
                        stored(&result.state);
                        state = result.state;
                        if !result.more {
                            break;
                        }
                    }
                    expect("changes", changes, s.events)?;
                    expect("changes with data", with_data, s.events)
                };
                measure(&self.count, f).await.0
            }
            5 => {
                let f = async {
                    let result = self
                        .wide
                        .sync(SyncState::new(&collection), CollectionKind::Calendar)
                        .await
                        .map_err(|e| e.to_string())?;
                    let added = result.changes.iter().filter(|c| has_data(c)).count();
                    stored(&result.state);
                    expect("changes with data", added, s.events)
                };
                measure(&self.count, f).await.0
            }
            _ => {
                let Some(state) = self.state.take() else {
                    return Err("no state from the initial sync".into());
                };
                let f = async {
                    let result = client
                        .sync(state, CollectionKind::Calendar)
                        .await
                        .map_err(|e| e.to_string())?;
                    let changed = result.changes.iter().filter(|c| has_data(c)).count();
                    stored(&result.state);
                    expect("changed with data", changed, s.changes)?;
                    expect("changes", result.changes.len(), s.changes)
                };
                measure(&self.count, f).await.0
            }
        }
    }
}

/// The state written as JSON, as an app stores it after each sync (the README's example): part
/// of every sync step, as the npm package's and the mobile bindings' results carry it as that
/// text already.
fn stored(state: &SyncState) {
    std::hint::black_box(state.to_json());
}

pub(crate) fn has_data(change: &Change) -> bool {
    match change {
        Change::Added(o) | Change::Changed(o) => o.data.is_some(),
        Change::Deleted { .. } => false,
    }
}
