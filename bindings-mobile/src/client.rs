//! [`DavClient`]: the core's `DavClient` over the app's [`HttpTransport`], one async method per
//! operation. Each method converts its arguments, calls the core and converts the result.

use std::sync::{Arc, Mutex, PoisonError};

use crate::edit::{ContactEditor, EventEditor};
use crate::error::DavError;
use crate::gcal::{GcalCalendar, GcalChannel, GcalEventsQuery, GcalWatchRequest, json_arg};
use crate::transport::{ForeignTokens, ForeignTransport, HttpTransport, Sleeper, TokenProvider};
use crate::types::{
    CalendarFilter, Collection, CollectionKind, CollectionProps, DavConfig, DavObject, Discovery,
    MultigetResult, Service, SyncResult, WriteResult,
};

/// A CalDAV/CardDAV client. Every method is `async` (Kotlin `suspend`, Swift `async`, Python
/// `async def`) and runs on the caller's executor: no Rust runtime is involved, the app's
/// [`HttpTransport`] does all the I/O.
#[derive(uniffi::Object)]
pub struct DavClient {
    pub(crate) inner: davkit::DavClient<ForeignTransport, ForeignTokens>,
    /// The states the last `sync` and `sync_batch` results returned (one per collection), kept
    /// parsed with their JSON text: the next sync given exactly that text starts from it
    /// without reading the text again (the core's `KeptSyncState`).
    kept: Mutex<davkit::KeptSyncState>,
}

impl std::fmt::Debug for DavClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DavClient")
            .field("session", &self.session())
            .finish()
    }
}

impl DavClient {
    fn session(&self) -> davkit::Session {
        self.inner.session()
    }

    /// The kept sync states (a panic while it was locked left nothing half-changed in it: each
    /// use is one call of the core's `KeptSyncState`).
    fn kept(&self) -> std::sync::MutexGuard<'_, davkit::KeptSyncState> {
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type Result<T> = std::result::Result<T, DavError>;

#[uniffi::export]
impl DavClient {
    /// A client for a configuration and the app's transport. Fails with `InvalidInput` when the
    /// configuration is unusable (bad URL, credentials in the URL, Basic for a Bearer-only
    /// provider, unknown profile).
    ///
    /// Optional: a `sleeper` turns on retries of rate-limited operations (see `DavConfig.retry`);
    /// a `token_provider` supplies OAuth 2.0 Bearer tokens and is asked for a fresh one once
    /// after a 401 (the configured credentials are then replaced by its tokens).
    #[uniffi::constructor(default(sleeper = None, token_provider = None))]
    pub fn new(
        config: DavConfig,
        transport: Arc<dyn HttpTransport>,
        sleeper: Option<Arc<dyn Sleeper>>,
        token_provider: Option<Arc<dyn TokenProvider>>,
    ) -> Result<Arc<Self>> {
        let config: davkit::Config = config.try_into()?;
        let transport = ForeignTransport {
            http: transport,
            sleeper,
        };
        let tokens = token_provider.map(ForeignTokens);
        let inner = davkit::DavClient::with_tokens(config, transport, tokens)?;
        Ok(Arc::new(DavClient {
            inner,
            kept: Mutex::default(),
        }))
    }

    /// The server URL as configured (normalised).
    pub fn server_url(&self) -> String {
        self.session().server_url().to_owned()
    }

    /// The provider profile in use (`generic`, `icloud`, `google-caldav`, `google-carddav`,
    /// `google-calendar-api`, `sogo`).
    pub fn profile_name(&self) -> String {
        self.session().profile().name.clone()
    }

    /// Finds the principal, home sets, calendars and address books.
    pub async fn discover(&self, service: Service) -> Result<Discovery> {
        Ok(self.inner.discover(service).await?)
    }

    /// Lists the calendars and address books in a home set.
    pub async fn list_collections(&self, home_url: String) -> Result<Vec<Collection>> {
        Ok(self.inner.list_collections(&home_url).await?)
    }

    /// Reads one collection's properties.
    pub async fn get_collection(&self, url: String) -> Result<Collection> {
        Ok(self.inner.get_collection(&url).await?)
    }

    /// Creates a calendar named `slug` in a home set.
    pub async fn create_calendar(
        &self,
        home_url: String,
        slug: String,
        props: CollectionProps,
    ) -> Result<Collection> {
        Ok(self.inner.create_calendar(&home_url, &slug, props).await?)
    }

    /// Creates an address book named `slug` in a home set.
    pub async fn create_address_book(
        &self,
        home_url: String,
        slug: String,
        props: CollectionProps,
    ) -> Result<Collection> {
        Ok(self
            .inner
            .create_address_book(&home_url, &slug, props)
            .await?)
    }

    /// Changes a collection's name, description or colour. With `read` (the collection as
    /// last read), only if the properties being changed still have the values read; else a
    /// `PreconditionFailed` error and nothing is written.
    #[uniffi::method(default(read = None))]
    pub async fn update_collection(
        &self,
        url: String,
        kind: CollectionKind,
        props: CollectionProps,
        read: Option<Collection>,
    ) -> Result<()> {
        Ok(self
            .inner
            .update_collection(&url, kind, props, read.as_ref())
            .await?)
    }

    /// Deletes a collection. With `read` (the collection as last read), only if its ctag and
    /// sync-token are unchanged; without it, unconditionally.
    #[uniffi::method(default(read = None))]
    pub async fn delete_collection(&self, url: String, read: Option<Collection>) -> Result<()> {
        Ok(self.inner.delete_collection(&url, read.as_ref()).await?)
    }

    /// Lists a collection's members with their ETags (no data); a member whose row failed has
    /// none, and a listing cut short (507) or of a collection answered 404 is an error.
    pub async fn list_objects(&self, collection_url: String) -> Result<Vec<DavObject>> {
        Ok(self.inner.list_objects(&collection_url).await?)
    }

    /// Runs a calendar-query: the objects of a component type, optionally in a time range.
    pub async fn calendar_query(
        &self,
        collection_url: String,
        filter: CalendarFilter,
    ) -> Result<Vec<DavObject>> {
        Ok(self.inner.calendar_query(&collection_url, filter).await?)
    }

    /// Fetches members by href, in batches, with their data.
    pub async fn multiget(
        &self,
        collection_url: String,
        kind: CollectionKind,
        hrefs: Vec<String>,
    ) -> Result<MultigetResult> {
        Ok(self.inner.multiget(&collection_url, kind, hrefs).await?)
    }

    /// Fetches one object with its data and ETag.
    pub async fn get_object(&self, url: String) -> Result<DavObject> {
        Ok(self.inner.get_object(&url).await?)
    }

    /// Creates an object named `name` in a collection; fails with `PreconditionFailed` if the
    /// name is taken.
    pub async fn create_object(
        &self,
        collection_url: String,
        name: String,
        data: String,
    ) -> Result<WriteResult> {
        Ok(self
            .inner
            .create_object(&collection_url, &name, &data)
            .await?)
    }

    /// Replaces an object if its ETag still matches; `PreconditionFailed` (412) if it changed.
    pub async fn update_object(
        &self,
        url: String,
        data: String,
        etag: String,
    ) -> Result<WriteResult> {
        Ok(self.inner.update_object(&url, &data, &etag).await?)
    }

    /// Writes an edited event back where `EventEditor.fromObject` read it, with the ETag it was
    /// read with (`If-Match`): `PreconditionFailed` (412) if it changed since, and nothing is
    /// overwritten. On success the editor holds the new ETag, so it can be saved again.
    pub async fn save_event(&self, editor: Arc<EventEditor>) -> Result<WriteResult> {
        let (url, etag) = editor.origin().target()?;
        let text = editor.to_ics();
        let w = self.inner.update_object(&url, &text, &etag).await?;
        editor.origin().written(&w);
        Ok(w)
    }

    /// Writes an edited contact back where `ContactEditor.fromObject` read it, like
    /// `save_event`.
    pub async fn save_contact(&self, editor: Arc<ContactEditor>) -> Result<WriteResult> {
        let (url, etag) = editor.origin().target()?;
        let text = editor.to_vcf();
        let w = self.inner.update_object(&url, &text, &etag).await?;
        editor.origin().written(&w);
        Ok(w)
    }

    /// Deletes an object if its ETag still matches.
    pub async fn delete_object(&self, url: String, etag: String) -> Result<()> {
        Ok(self.inner.delete_object(&url, &etag).await?)
    }

    /// Creates an object by POST to an RFC 5995 add-member URL.
    pub async fn post_object(&self, add_member_url: String, data: String) -> Result<WriteResult> {
        Ok(self.inner.post_object(&add_member_url, &data).await?)
    }

    /// Synchronises a collection. Pass `null` as `state_json` the first time, then the
    /// `state_json` of the previous result (store it only after applying its changes). A state
    /// of another collection is refused with `InvalidInput` (the core's `SyncState::resume`).
    /// The client keeps the last states it returned parsed, one per collection, and starts
    /// from one when given exactly its `state_json` (any other text is read).
    #[uniffi::method(default(state_json = None))]
    pub async fn sync(
        &self,
        collection_url: String,
        kind: CollectionKind,
        state_json: Option<String>,
    ) -> Result<SyncResult> {
        let state = self.kept().resume(&collection_url, state_json.as_deref())?;
        let (result, state) = SyncResult::with_state(self.inner.sync(state, kind).await?);
        self.kept().keep_with_text(state, result.state_json.clone());
        Ok(result)
    }

    /// One batch of a sync: like `sync`, but fetches at most `max_members` members (at least
    /// 1). Members found but not fetched yet are pending in the returned `state_json` and
    /// `more` is true: apply the changes, store `state_json`, and call again with it until
    /// `more` is false (the core also makes it false when the same members failed again).
    /// Every returned state is a checkpoint: resuming from it (after the app was killed, the
    /// next day) neither loses nor repeats a change. (The core's `DavClient::sync_batch`.) Pass
    /// `null` as `state_json` the first time. The client keeps the last states it returned
    /// parsed, as for `sync`.
    pub async fn sync_batch(
        &self,
        collection_url: String,
        kind: CollectionKind,
        state_json: Option<String>,
        max_members: u32,
    ) -> Result<SyncResult> {
        let state = self.kept().resume(&collection_url, state_json.as_deref())?;
        let max = usize::try_from(max_members).unwrap_or(usize::MAX);
        let (result, state) =
            SyncResult::with_state(self.inner.sync_batch(state, kind, max).await?);
        self.kept().keep_with_text(state, result.state_json.clone());
        Ok(result)
    }

    /// Google Calendar API: the user's calendars (all pages).
    pub async fn gcal_calendars(&self) -> Result<Vec<GcalCalendar>> {
        Ok(self.inner.gcal_calendars().await?)
    }

    /// Google Calendar API: full (no `state_json`) or incremental sync of one calendar's
    /// events, as iCalendar objects; store `state_json` like a CalDAV sync state. A state of
    /// another calendar is refused with `InvalidInput` (by the core).
    #[uniffi::method(default(query = None, state_json = None))]
    pub async fn gcal_sync(
        &self,
        calendar_id: String,
        query: Option<GcalEventsQuery>,
        state_json: Option<String>,
    ) -> Result<SyncResult> {
        let state = match state_json {
            Some(json) => davkit::SyncState::from_json(&json)?,
            None => davkit::SyncState::default(),
        };
        let query = query.unwrap_or_default();
        Ok(self
            .inner
            .gcal_sync(&calendar_id, query, state)
            .await?
            .into())
    }

    /// Google Calendar API: inserts an event given as a JSON resource.
    pub async fn gcal_insert(
        &self,
        calendar_id: String,
        event_json: String,
    ) -> Result<WriteResult> {
        let event = json_arg("the event", &event_json)?;
        Ok(self.inner.gcal_insert(&calendar_id, &event).await?)
    }

    /// Google Calendar API: patches an event if its ETag is still `etag` (412 otherwise).
    pub async fn gcal_patch(
        &self,
        calendar_id: String,
        event_id: String,
        patch_json: String,
        etag: String,
    ) -> Result<WriteResult> {
        let patch = json_arg("the patch", &patch_json)?;
        Ok(self
            .inner
            .gcal_patch(&calendar_id, &event_id, &patch, &etag)
            .await?)
    }

    /// Google Calendar API: deletes an event if its ETag is still `etag`.
    pub async fn gcal_delete(
        &self,
        calendar_id: String,
        event_id: String,
        etag: String,
    ) -> Result<()> {
        Ok(self
            .inner
            .gcal_delete(&calendar_id, &event_id, &etag)
            .await?)
    }

    /// Google Calendar API: starts a push channel for a calendar's events.
    #[uniffi::method(default(query = None))]
    pub async fn gcal_watch(
        &self,
        calendar_id: String,
        watch: GcalWatchRequest,
        query: Option<GcalEventsQuery>,
    ) -> Result<GcalChannel> {
        let query = query.unwrap_or_default();
        let watch = watch.into();
        Ok(self
            .inner
            .gcal_watch(&calendar_id, &query, &watch)
            .await?
            .into())
    }

    /// Google Calendar API: stops a push channel.
    pub async fn gcal_stop(&self, channel: GcalChannel) -> Result<()> {
        let channel = channel.into();
        Ok(self.inner.gcal_stop(&channel).await?)
    }
}
