//! libdav's side, as its examples use it: hyper-util's client behind tower-http's `AddAuthorization`, counted by a tower layer.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Instant;

use http::Uri;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use libdav::caldav::{FindCalendarHomeSet, FindCalendars, GetCalendarResources};
use libdav::dav::{SyncCollection, WebDavClient};
use libdav::{CalDavClient, HttpClient};

use crate::counting::{
    CountedService, NOT_APPLICABLE, Sample, expect, log_done, measure, with_data,
};
use crate::{Settings, Target};

pub(crate) struct Libdav<C: HttpClient> {
    webdav: Option<WebDavClient<C>>,
    caldav: Option<CalDavClient<C>>,
    count: Arc<AtomicUsize>,
    token: Option<String>,
}

impl<C: HttpClient> Libdav<C> {
    pub(crate) fn new(target: &Target, http: C, count: Arc<AtomicUsize>) -> Libdav<C> {
        let base: Uri = target.url.parse().unwrap();
        Libdav {
            webdav: Some(WebDavClient::new(base, http)),
            caldav: None,
            count,
            token: None,
        }
    }

    pub(crate) async fn step(&mut self, step: usize, target: &Target, s: &Settings) -> Sample {
        let path = target.collection.as_str();
        match step {
            0 => {
                let Some(webdav) = self.webdav.take() else {
                    return Err("no client".into());
                };
                let f = async {
                    // As examples/find_calendars.rs does.
                    let caldav = CalDavClient::bootstrap_via_service_discovery(webdav)
                        .await
                        .map_err(|e| format!("bootstrap: {e}"))?;
                    let principal = caldav
                        .find_current_user_principal()
                        .await
                        .map_err(|e| format!("principal: {e}"))?;
                    let urls = match principal {
                        Some(principal) => {
                            let home_sets = caldav
                                .request(FindCalendarHomeSet::new(principal.path()))
                                .await
                                .map_err(|e| format!("home set: {e}"))?
                                .home_sets;
                            if home_sets.is_empty() {
                                vec![caldav.base_url().clone()]
                            } else {
                                home_sets
                            }
                        }
                        None => vec![caldav.base_url().clone()],
                    };
                    let mut found = Vec::new();
                    for url in urls {
                        let calendars = caldav
                            .request(FindCalendars::new(url.path()))
                            .await
                            .map_err(|e| format!("calendars: {e}"))?
                            .calendars;
                        found.extend(calendars.into_iter().map(|c| c.href));
                    }
                    if found.iter().any(|h| h == path) {
                        Ok(caldav)
                    } else {
                        Err(format!("{path} not among {found:?}"))
                    }
                };
                let (sample, caldav) = measure(&self.count, f).await;
                self.caldav = caldav;
                sample
            }
            1 => {
                let Some(caldav) = &self.caldav else {
                    return Err("no client (discovery failed)".into());
                };
                let f = async {
                    let fetched = caldav
                        .request(GetCalendarResources::new(path))
                        .await
                        .map_err(|e| format!("calendar-query: {e}"))?;
                    let ok = with_data(&fetched.resources);
                    expect("events with data", ok, s.events)
                };
                measure(&self.count, f).await.0
            }
            2 => {
                let Some(caldav) = &self.caldav else {
                    return Err("no client (discovery failed)".into());
                };
                let f = async {
                    let started = Instant::now();
                    let listed = caldav
                        .request(SyncCollection::new(path))
                        .await
                        .map_err(|e| format!("sync-collection: {e}"))?;
                    log_done("sync-collection", started);
                    let hrefs: Vec<&str> = listed.changed.iter().map(|r| r.href.as_str()).collect();
                    let fetched = caldav
                        .request(GetCalendarResources::new(path).with_hrefs(hrefs))
                        .await
                        .map_err(|e| format!("multiget: {e}"))?;
                    log_done("multiget", started);
                    let ok = with_data(&fetched.resources);
                    expect("events with data", ok, s.events)?;
                    Ok(listed.new_sync_token)
                };
                let (sample, token) = measure(&self.count, f).await;
                self.token = token;
                sample
            }
            4 | 5 => Err(NOT_APPLICABLE.into()),
            _ => {
                let (Some(caldav), Some(token)) = (&self.caldav, self.token.take()) else {
                    return Err("no client or token from the initial sync".into());
                };
                let f = async {
                    let started = Instant::now();
                    let listed = caldav
                        .request(SyncCollection::new(path).with_sync_token(&token))
                        .await
                        .map_err(|e| format!("sync-collection: {e}"))?;
                    log_done("sync-collection", started);
                    let hrefs: Vec<&str> = listed.changed.iter().map(|r| r.href.as_str()).collect();
                    expect("changed", hrefs.len() + listed.deleted.len(), s.changes)?;
                    if hrefs.is_empty() {
                        return Ok(());
                    }
                    let fetched = caldav
                        .request(GetCalendarResources::new(path).with_hrefs(hrefs))
                        .await
                        .map_err(|e| format!("multiget: {e}"))?;
                    log_done("multiget", started);
                    let ok = with_data(&fetched.resources);
                    expect("changed with data", ok, s.changes)
                };
                measure(&self.count, f).await.0
            }
        }
    }
}

pub(crate) type Plain = CountedService<Client<HttpConnector, String>>;

pub(crate) fn hyper_client() -> Client<HttpConnector, String> {
    Client::builder(TokioExecutor::new()).build_http()
}
