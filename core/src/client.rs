//! [`DavClient`]: the async API, each method one [`drive`](crate::drive) of a core operation
//! over a [`Transport`], with rate-limit retries and token refresh around it. Bindings wrap
//! this; it has no runtime of its own.

use std::future::Future;
use std::sync::Mutex;

use crate::auth::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    Collection, CollectionKind, DavObject, Discovery, SyncResult, SyncState, WriteResult,
};
use crate::op::{Erased, Operation, Transport, drive_erased, drive_send};
use crate::ops::collections::CollectionProps;
use crate::ops::discover::Service;
use crate::ops::objects::MultigetResult;
use crate::ops::sync::Sync as SyncOp;
use crate::rfc4791::CalendarFilter;
use crate::session::{Config, Session};

/// Supplies OAuth 2.0 access tokens (Google). Called before each operation; called again with
/// `force_refresh` after a 401, and the operation is retried once with the new token.
pub trait TokenProvider {
    /// An access token; a fresh one when `force_refresh` is set.
    fn token(&self, force_refresh: bool) -> impl Future<Output = Result<String>>;

    /// The credentials to send, asked before each operation and again (with `force_refresh`)
    /// after a 401: by default the [`token`](Self::token) as a Bearer token. A provider whose
    /// host may hand back other credentials overrides it (the npm package's `auth` function
    /// may answer `{ basic }`, `{ digest }` or a token).
    fn credentials(&self, force_refresh: bool) -> impl Future<Output = Result<Credentials>> {
        async move { Ok(Credentials::bearer(self.token(force_refresh).await?)) }
    }
}

/// The token provider of a client that has none (its credentials are fixed).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTokenProvider;

impl TokenProvider for NoTokenProvider {
    async fn token(&self, _force_refresh: bool) -> Result<String> {
        Err(crate::Error::new(
            ErrorKind::InvalidInput,
            "this client has no token provider",
        ))
    }
}

/// An async CalDAV/CardDAV client over any [`Transport`].
///
/// Every method runs one core operation. A rate-limited operation ([`ErrorKind::RateLimited`])
/// is run again after the delay the [`RetryPolicy`](crate::RetryPolicy) gives, when the
/// transport can sleep; with a [`TokenProvider`], a 401 fetches a fresh token and the operation
/// runs once more.
#[derive(Debug)]
pub struct DavClient<T, P = NoTokenProvider> {
    session: Mutex<Session>,
    transport: T,
    tokens: Option<P>,
}

impl<T: Transport> DavClient<T> {
    /// A client for a configuration and a transport.
    pub fn new(config: Config, transport: T) -> Result<Self> {
        Ok(DavClient {
            session: Mutex::new(Session::new(config)?),
            transport,
            tokens: None,
        })
    }
}

impl<T: Transport, P: TokenProvider> DavClient<T, P> {
    /// A client whose Bearer tokens come from `tokens` (the configured credentials are
    /// replaced by the provider's token before each operation).
    pub fn with_token_provider(config: Config, transport: T, tokens: P) -> Result<Self> {
        DavClient::with_tokens(config, transport, Some(tokens))
    }

    /// A client with or without a token provider, as one type (for bindings that decide at
    /// run time).
    pub fn with_tokens(config: Config, transport: T, tokens: Option<P>) -> Result<Self> {
        let mut config = config;
        if tokens.is_some() && matches!(config.credentials, Credentials::None) {
            config.credentials = Credentials::bearer("");
        }
        Ok(DavClient {
            session: Mutex::new(Session::new(config)?),
            transport,
            tokens,
        })
    }

    /// The sans-IO session behind the client (to build operations by hand).
    pub fn session(&self) -> Session {
        self.session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set_credentials(&self, credentials: Credentials) {
        let mut guard = self
            .session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard = guard.with_credentials(credentials);
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Runs the operation `build` makes, with token refresh and rate-limit retries. The
    /// operation and its output must be `Send` (every core operation is): the loop that drives
    /// it is shared by all operations behind a `dyn Operation + Send`, so that the client's
    /// futures stay `Send` for hosts that need it.
    pub async fn run<O, F>(&self, build: F) -> Result<O::Output>
    where
        O: Operation + Send,
        O::Output: Send,
        F: Fn(&Session) -> O + Send,
    {
        self.run_with((), move |session, ()| build(session), |_| ())
            .await
    }

    /// [`run`](Self::run) for an operation that takes `input` by value: the first attempt
    /// gets `input` itself and a retry gets it back from the failed operation (`recover`), so
    /// nothing is copied per attempt (a sync state of 10,000 members is not cloned).
    async fn run_with<I, O, F, R>(&self, input: I, build: F, recover: R) -> Result<O::Output>
    where
        I: Send,
        O: Operation + Send,
        O::Output: Send,
        F: Fn(&Session, I) -> O + Send,
        R: Fn(O) -> I + Send,
    {
        let mut attempts = TypedAttempts {
            input: Some(input),
            op: None,
            build,
            recover,
        };
        self.run_erased(&mut attempts).await?;
        attempts.op.and_then(|op| op.output).ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                "the operation finished without an output",
            )
        })
    }

    /// The retry loop behind [`run_with`](Self::run_with), for every operation through one
    /// `dyn` [`Attempts`] (one copy per transport and token provider type, not one per
    /// method).
    async fn run_erased(&self, attempts: &mut dyn Attempts) -> Result<()> {
        let mut retries = Retries::default();
        if let Some(tokens) = &self.tokens {
            self.set_credentials(tokens.credentials(false).await?);
        }
        loop {
            let session = self.session();
            let Some(op) = attempts.start(&session) else {
                return Err(Error::new(
                    ErrorKind::Protocol,
                    "the operation has no input left to run with",
                ));
            };
            let error = match drive_erased(op, &self.transport).await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            attempts.failed();
            if !self.may_retry(&session, &error, &mut retries).await? {
                return Err(error);
            }
        }
    }

    /// After an attempt failed with `error`: refreshes the token once on a 401 (with a token
    /// provider), or waits the retry policy's delay. Returns whether to try again.
    async fn may_retry(
        &self,
        session: &Session,
        error: &Error,
        retries: &mut Retries,
    ) -> Result<bool> {
        if error.kind() == ErrorKind::Unauthorized
            && !retries.refreshed
            && let Some(tokens) = &self.tokens
        {
            retries.refreshed = true;
            self.set_credentials(tokens.credentials(true).await?);
            return Ok(true);
        }
        match session.retry_policy().delay_ms(retries.attempt, error) {
            Some(ms) if self.transport.sleep(ms).await => {
                retries.attempt += 1;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Finds the principal, home sets, calendars and address books.
    pub async fn discover(&self, service: Service) -> Result<Discovery> {
        self.run(|s| s.discover(service)).await
    }

    /// Lists the calendars and address books in a home set.
    pub async fn list_collections(&self, home_url: &str) -> Result<Vec<Collection>> {
        self.run(|s| s.list_collections(home_url)).await
    }

    /// Reads one collection's properties.
    pub async fn get_collection(&self, url: &str) -> Result<Collection> {
        self.run(|s| s.get_collection(url)).await
    }

    /// Creates a calendar in a home set.
    pub async fn create_calendar(
        &self,
        home_url: &str,
        slug: &str,
        props: CollectionProps,
    ) -> Result<Collection> {
        self.run(|s| s.create_calendar(home_url, slug, props.clone()))
            .await
    }

    /// Creates an address book in a home set.
    pub async fn create_address_book(
        &self,
        home_url: &str,
        slug: &str,
        props: CollectionProps,
    ) -> Result<Collection> {
        self.run(|s| s.create_address_book(home_url, slug, props.clone()))
            .await
    }

    /// Changes a collection's name, description or colour; with `read` (the collection as
    /// last read), only if the properties being changed still have the values read.
    pub async fn update_collection(
        &self,
        url: &str,
        kind: CollectionKind,
        props: CollectionProps,
        read: Option<&Collection>,
    ) -> Result<()> {
        self.run(|s| s.update_collection(url, kind, props.clone(), read))
            .await
    }

    /// Deletes a collection; with `read` (the collection as last read), only if its ctag and
    /// sync-token are unchanged.
    pub async fn delete_collection(&self, url: &str, read: Option<&Collection>) -> Result<()> {
        self.run(|s| s.delete_collection(url, read)).await
    }

    /// Lists a collection's members with their ETags.
    pub async fn list_objects(&self, collection_url: &str) -> Result<Vec<DavObject>> {
        self.run(|s| s.list_objects(collection_url)).await
    }

    /// Runs a calendar-query (component and time range).
    pub async fn calendar_query(
        &self,
        collection_url: &str,
        filter: CalendarFilter,
    ) -> Result<Vec<DavObject>> {
        self.run(|s| s.calendar_query(collection_url, filter.clone()))
            .await
    }

    /// Fetches members by href in batches.
    pub async fn multiget(
        &self,
        collection_url: &str,
        kind: CollectionKind,
        hrefs: Vec<String>,
    ) -> Result<MultigetResult> {
        self.run(|s| s.multiget(collection_url, kind, hrefs.clone()))
            .await
    }

    /// Asks which time is busy in a calendar between `start` and `end` (UTC,
    /// `YYYYMMDDTHHMMSSZ`): [`Session::free_busy_query`], RFC 4791 §7.10.
    pub async fn free_busy_query(
        &self,
        calendar_url: &str,
        start: &str,
        end: &str,
    ) -> Result<crate::ops::freebusy::FreeBusy> {
        self.run(|s| s.free_busy_query(calendar_url, start, end))
            .await
    }

    /// Asks for several calendar users' busy time through the organizer's scheduling outbox:
    /// [`Session::outbox_free_busy`], RFC 6638 §5.
    pub async fn outbox_free_busy(
        &self,
        outbox_url: &str,
        request: &crate::ops::freebusy::FreeBusyRequest,
    ) -> Result<Vec<crate::ops::freebusy::RecipientFreeBusy>> {
        self.run(|s| s.outbox_free_busy(outbox_url, request)).await
    }

    /// Fetches one object.
    pub async fn get_object(&self, url: &str) -> Result<DavObject> {
        self.run(|s| s.get_object(url)).await
    }

    /// Creates an object (fails if the name is taken).
    pub async fn create_object(
        &self,
        collection_url: &str,
        name: &str,
        data: &str,
    ) -> Result<WriteResult> {
        self.run(|s| s.create_object(collection_url, name, data))
            .await
    }

    /// Replaces an object if its ETag still matches.
    pub async fn update_object(&self, url: &str, data: &str, etag: &str) -> Result<WriteResult> {
        self.run(|s| s.update_object(url, data, etag)).await
    }

    /// Deletes an object if its ETag still matches.
    pub async fn delete_object(&self, url: &str, etag: &str) -> Result<()> {
        self.run(|s| s.delete_object(url, etag)).await.map(|_| ())
    }

    /// Creates an object by POST to an RFC 5995 add-member URL.
    pub async fn post_object(&self, add_member_url: &str, data: &str) -> Result<WriteResult> {
        self.run(|s| s.post_object(add_member_url, data)).await
    }

    /// Synchronises a collection from a stored state.
    pub async fn sync(&self, state: SyncState, kind: CollectionKind) -> Result<SyncResult> {
        self.run_with(state, |s, state| s.sync(state, kind), SyncOp::into_state)
            .await
    }

    /// One batch of a sync (at most `max_members` members fetched); see
    /// [`Session::sync_batch`]. Call again with the returned state while `more` is set.
    pub async fn sync_batch(
        &self,
        state: SyncState,
        kind: CollectionKind,
        max_members: usize,
    ) -> Result<SyncResult> {
        self.run_with(
            state,
            |s, state| s.sync_batch(state, kind, max_members),
            SyncOp::into_state,
        )
        .await
    }

    /// Sends a write queue (see [`crate::queue`]): call
    /// [`WriteQueue::begin_flush`](crate::WriteQueue::begin_flush) and store its JSON first.
    /// A flush stopped by a 401 (with a token provider) or a rate limit goes on from the queue
    /// it returned, after a fresh token or the retry policy's delay; the outcomes of every run
    /// come back together. Store `result.queue` after applying the outcomes.
    pub async fn flush(&self, queue: crate::WriteQueue) -> Result<crate::FlushResult> {
        self.flush_hooked(queue, None).await
    }

    /// [`flush`](Self::flush) with the app's own conflict resolution: `hook` is asked about
    /// every conflict before the entry's policy (see [`crate::queue::ConflictHook`]).
    pub async fn flush_with(
        &self,
        queue: crate::WriteQueue,
        hook: crate::queue::ConflictHook,
    ) -> Result<crate::FlushResult> {
        self.flush_hooked(queue, Some(hook)).await
    }

    async fn flush_hooked(
        &self,
        queue: crate::WriteQueue,
        hook: Option<crate::queue::ConflictHook>,
    ) -> Result<crate::FlushResult> {
        let mut retries = Retries::default();
        if let Some(tokens) = &self.tokens {
            self.set_credentials(tokens.credentials(false).await?);
        }
        let mut outcomes = Vec::new();
        let mut queue = queue;
        loop {
            let session = self.session();
            let mut flush = session.flush(queue);
            if let Some(hook) = &hook {
                flush = flush.with_hook(hook.clone());
            }
            let mut result = drive_send(flush, &self.transport).await?;
            outcomes.append(&mut result.outcomes);
            let Some(error) = result.stopped.take() else {
                return Ok(crate::FlushResult { outcomes, ..result });
            };
            queue = result.queue;
            if !self.may_retry(&session, &error, &mut retries).await? {
                return Ok(crate::FlushResult {
                    queue,
                    outcomes,
                    stopped: Some(error),
                });
            }
        }
    }

    /// Google Calendar API: the user's calendars (all pages).
    pub async fn gcal_calendars(&self) -> Result<Vec<crate::gcal::CalendarListEntry>> {
        self.run(|s| s.gcal_calendars()).await
    }

    /// Google Calendar API: full or incremental sync of one calendar's events.
    pub async fn gcal_sync(
        &self,
        calendar_id: &str,
        query: crate::gcal::EventsQuery,
        state: SyncState,
    ) -> Result<SyncResult> {
        self.run_with(
            state,
            |s, state| s.gcal_sync(calendar_id, query.clone(), state),
            crate::gcal::GcalSync::into_state,
        )
        .await
    }

    /// Google Calendar API: inserts an event (JSON resource).
    pub async fn gcal_insert(
        &self,
        calendar_id: &str,
        event: &serde_json::Value,
    ) -> Result<WriteResult> {
        self.run(|s| s.gcal_insert(calendar_id, event)).await
    }

    /// Google Calendar API: patches an event if its ETag is still `etag`.
    pub async fn gcal_patch(
        &self,
        calendar_id: &str,
        event_id: &str,
        patch: &serde_json::Value,
        etag: &str,
    ) -> Result<WriteResult> {
        self.run(|s| s.gcal_patch(calendar_id, event_id, patch, etag))
            .await
    }

    /// Google Calendar API: deletes an event if its ETag is still `etag`.
    pub async fn gcal_delete(&self, calendar_id: &str, event_id: &str, etag: &str) -> Result<()> {
        self.run(|s| s.gcal_delete(calendar_id, event_id, etag))
            .await
            .map(|_| ())
    }

    /// Google Calendar API: starts a push channel for a calendar's events.
    pub async fn gcal_watch(
        &self,
        calendar_id: &str,
        query: &crate::gcal::EventsQuery,
        watch: &crate::gcal::WatchRequest,
    ) -> Result<crate::gcal::Channel> {
        self.run(|s| s.gcal_watch(calendar_id, query, watch)).await
    }

    /// Google Calendar API: stops a push channel.
    pub async fn gcal_stop(&self, channel: &crate::gcal::Channel) -> Result<()> {
        self.run(|s| s.gcal_stop(channel)).await
    }
}

/// What [`DavClient`]'s retry loops have spent: rate-limit waits and the one token refresh.
#[derive(Default)]
struct Retries {
    attempt: u32,
    refreshed: bool,
}

/// One client method's attempts as the retry loop sees them, without the operation's types.
trait Attempts: Send {
    /// The next attempt's operation, built from `session` (and the input the last attempt
    /// gave back); `None` if there is no input left, which does not happen.
    fn start(&mut self, session: &Session) -> Option<&mut (dyn Operation<Output = ()> + Send)>;

    /// The attempt failed: takes the input back from its operation for the next one.
    fn failed(&mut self);
}

/// [`Attempts`] for one method: its input, the operation of the current attempt (with its
/// output when it finished), and how to build one and take the input back.
struct TypedAttempts<I, O: Operation, F, R> {
    input: Option<I>,
    op: Option<Erased<O>>,
    build: F,
    recover: R,
}

impl<I, O, F, R> Attempts for TypedAttempts<I, O, F, R>
where
    I: Send,
    O: Operation + Send,
    O::Output: Send,
    F: Fn(&Session, I) -> O + Send,
    R: Fn(O) -> I + Send,
{
    fn start(&mut self, session: &Session) -> Option<&mut (dyn Operation<Output = ()> + Send)> {
        let input = self.input.take()?;
        Some(self.op.insert(Erased::new((self.build)(session, input))))
    }

    fn failed(&mut self) {
        if let Some(op) = self.op.take() {
            self.input = Some((self.recover)(op.op));
        }
    }
}
