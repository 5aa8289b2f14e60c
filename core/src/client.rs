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
use crate::op::{Erased, Operation, Transport, drive_erased};
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

    /// Takes the token provider's credentials, refusing any that cannot go into a header
    /// ([`Credentials::check`]).
    fn set_credentials(&self, credentials: Credentials) -> Result<()> {
        credentials.check()?;
        let mut guard = self
            .session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard = guard.with_credentials(credentials);
        Ok(())
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
        self.run_call(Call::new(build)).await
    }

    /// Runs a [`Call`] through [`run_dyn`](Self::run_dyn) and returns its output.
    async fn run_call<I, O>(&self, call: Call<'_, I, O>) -> Result<O::Output>
    where
        I: Send,
        O: Operation + Send,
        O::Output: Send,
    {
        let mut call = call;
        self.run_dyn(&mut call).await?;
        call.output()
    }

    /// The retry loop behind every method: runs the attempts of one call with token refresh
    /// and rate-limit retries, until an attempt's operation finishes with an output (`Ok`,
    /// kept by the attempts: [`Call::output`]) or fails with an error that is not retried
    /// (that error).
    ///
    /// With a token provider, a token is fetched first; then each attempt builds its
    /// operation from the session as it is now ([`Attempts::start`]) and drives it over the
    /// transport. A failed attempt ([`Attempts::failed`]) is followed by one more after a 401
    /// (once, with a fresh token), at once after a 408 or 425 (once), or after the
    /// [`RetryPolicy`](crate::RetryPolicy)'s delay for a rate limit, when the transport can
    /// sleep.
    ///
    /// The loop takes its call as `&mut dyn Attempts`, so its code exists once per transport
    /// and token provider type, not once per operation: a binding that runs every method
    /// through this (the npm module) holds one copy of the loop's future in all.
    pub async fn run_dyn(&self, attempts: &mut dyn Attempts) -> Result<()> {
        let mut retries = Retries::default();
        if let Some(tokens) = &self.tokens {
            self.set_credentials(tokens.credentials(false).await?)?;
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
            let retry = self.may_retry(&session, &error, &mut retries).await?;
            attempts.failed();
            if !retry {
                // The caller sees the server's answer in the excerpt, never its own secrets
                // echoed there.
                return Err(error.without_secrets(&session.credentials().secrets()));
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
            self.set_credentials(tokens.credentials(true).await?)?;
            return Ok(true);
        }
        // 408 Request Timeout (RFC 9110 §15.5.9: the request did not arrive whole, so nothing
        // was applied; the client may send it again) and 425 Too Early (RFC 8470 §5.2): once
        // more at once, as OkHttp does for a 408. A second one is the call's error.
        if matches!(error.status(), Some(408 | 425)) && !retries.resent {
            retries.resent = true;
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

    /// Lists a collection's members with their ETags ([`Session::list_objects`]).
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

    /// Fetches one object ([`Session::get_object`]: a 200 that is not an iCalendar or vCard
    /// object is a `Protocol` error).
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
        self.run_call(Call::sync(state, kind)).await
    }

    /// One batch of a sync (at most `max_members` members fetched); see
    /// [`Session::sync_batch`]. Call again with the returned state while `more` is set.
    pub async fn sync_batch(
        &self,
        state: SyncState,
        kind: CollectionKind,
        max_members: usize,
    ) -> Result<SyncResult> {
        self.run_call(Call::sync_batch(state, kind, max_members))
            .await
    }

    /// Sends a write queue (see [`crate::queue`]): call
    /// [`WriteQueue::begin_flush`](crate::WriteQueue::begin_flush) and store its JSON first.
    /// A flush stopped by a 401 (with a token provider), a 408 or 425 (once) or a rate limit
    /// goes on from the queue it returned, after a fresh token, at once, or after the retry
    /// policy's delay; the outcomes of every run
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
        let mut call = FlushCall::new(queue, hook);
        let run = self.run_dyn(&mut call).await;
        call.output(run)
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
        self.run_call(Call::gcal_sync(calendar_id.to_owned(), query, state))
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
    /// A 408 or 425 was answered and the call run once more.
    resent: bool,
}

/// One call's attempts as [`DavClient::run_dyn`] sees them, without the operation's types: the
/// retry loop asks for an operation per attempt and says when one failed.
///
/// The contract: `run_dyn` calls [`start`](Attempts::start) once per attempt with the session
/// as it is then (fresh credentials after a token refresh) and drives the operation it
/// returns to its end. The operation reports its output as `Done(Ok(()))`, keeping the value
/// for its owner to take afterwards (a [`Call`] keeps it for [`Call::output`]). When the
/// operation ends with an error, `run_dyn` decides whether to try again (a fresh token after
/// a 401, the retry policy's wait after a rate limit) and then calls
/// [`failed`](Attempts::failed), also when it will not try again (and returns that error);
/// if getting a fresh token fails, the call fails with that error and `failed` is not called.
/// A next attempt starts with `start` again. An implementation never sees two attempts at
/// once.
///
/// [`Call`] is the implementation every client method uses but the flush, which uses
/// [`FlushCall`].
pub trait Attempts: Send {
    /// The next attempt's operation, built from `session` (and from the input the last
    /// attempt gave back); `None` if there is no input left, which `run_dyn` reports as an
    /// [`ErrorKind::Protocol`] error (a [`Call`] always has one).
    fn start(&mut self, session: &Session) -> Option<&mut (dyn Operation<Output = ()> + Send)>;

    /// The attempt `start` returned failed: takes the input back from its operation for the
    /// next one.
    fn failed(&mut self);
}

/// The error of a [`Call`] asked for an output it does not have (one function, not one per
/// operation type).
#[cold]
fn no_output() -> Error {
    Error::new(
        ErrorKind::Protocol,
        "the operation finished without an output",
    )
}

/// How a [`Call`] builds each attempt's operation from the session and the input.
type Build<'a, I, O> = Box<dyn Fn(&Session, I) -> O + Send + 'a>;

/// One client call as an [`Attempts`]: its input, the operation of the current attempt (with
/// its output once it finished), how to build an operation from a session and the input, and
/// how to take the input back from a failed operation (`recover`), so that an input such as a
/// sync state is moved from attempt to attempt, never copied.
///
/// Run it with [`DavClient::run_dyn`], then take the output with [`output`](Call::output):
///
/// ```no_run
/// # async fn demo<T: davkit::Transport>(client: &davkit::DavClient<T>) -> davkit::Result<()> {
/// use davkit::client::Call;
/// let mut get = Call::new(|s| s.get_object("https://dav.example.com/cal/e.ics"));
/// client.run_dyn(&mut get).await?;
/// let object = get.output()?;
/// # let _ = object;
/// # Ok(())
/// # }
/// ```
///
/// The builder is kept boxed, so that the retry loop's side of a call exists once per input
/// and operation type, not once per method.
pub struct Call<'a, I, O: Operation> {
    input: Option<I>,
    op: Option<Erased<O>>,
    build: Build<'a, I, O>,
    recover: fn(O) -> I,
}

impl<'a, O: Operation> Call<'a, (), O> {
    /// The call of the operation `build` makes from a session (once per attempt), as
    /// [`DavClient::run`] runs it.
    pub fn new(build: impl Fn(&Session) -> O + Send + 'a) -> Self {
        Call::with_input((), move |session, ()| build(session), drop)
    }
}

impl<'a, I, O: Operation> Call<'a, I, O> {
    /// The call of an operation that takes `input` by value: the first attempt gets `input`
    /// itself and a retry gets it back from the failed operation through `recover`.
    pub fn with_input(
        input: I,
        build: impl Fn(&Session, I) -> O + Send + 'a,
        recover: fn(O) -> I,
    ) -> Self {
        Call {
            input: Some(input),
            op: None,
            build: Box::new(build),
            recover,
        }
    }

    /// Takes the output of the operation that finished; an [`ErrorKind::Protocol`] error if
    /// there is none (the call was not run, its last attempt failed, or the output was
    /// taken already).
    pub fn output(&mut self) -> Result<O::Output> {
        self.op
            .as_mut()
            .and_then(|op| op.output.take())
            .ok_or_else(no_output)
    }
}

impl<I, O: Operation> std::fmt::Debug for Call<'_, I, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("has_input", &self.input.is_some())
            .field("started", &self.op.is_some())
            .finish_non_exhaustive()
    }
}

impl<I, O> Attempts for Call<'_, I, O>
where
    I: Send,
    O: Operation + Send,
    O::Output: Send,
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

impl Call<'static, SyncState, SyncOp> {
    /// The call of [`DavClient::sync`]: the state moves into each attempt's operation and
    /// back out of a failed one ([`SyncOp::into_state`]).
    pub fn sync(state: SyncState, kind: CollectionKind) -> Self {
        Call::with_input(
            state,
            move |s, state| s.sync(state, kind),
            SyncOp::into_state,
        )
    }

    /// The call of [`DavClient::sync_batch`] (the state moves as in [`sync`](Call::sync)).
    pub fn sync_batch(state: SyncState, kind: CollectionKind, max_members: usize) -> Self {
        Call::with_input(
            state,
            move |s, state| s.sync_batch(state, kind, max_members),
            SyncOp::into_state,
        )
    }
}

impl Call<'static, SyncState, crate::gcal::GcalSync> {
    /// The call of [`DavClient::gcal_sync`]: the state moves as in [`sync`](Call::sync)
    /// ([`GcalSync::into_state`](crate::gcal::GcalSync::into_state)).
    pub fn gcal_sync(
        calendar_id: String,
        query: crate::gcal::EventsQuery,
        state: SyncState,
    ) -> Self {
        Call::with_input(
            state,
            move |s, state| s.gcal_sync(&calendar_id, query.clone(), state),
            crate::gcal::GcalSync::into_state,
        )
    }
}

/// The attempts of a flush ([`DavClient::flush`]): a flush stopped early (offline, rate-limited,
/// a 401: [`FlushResult::stopped`](crate::FlushResult::stopped)) counts as a failed attempt, and
/// the next one goes on from the queue it returned; the outcomes of every run are kept. Run it
/// with [`DavClient::run_dyn`] and give what that returned to [`output`](FlushCall::output).
pub struct FlushCall {
    /// The queue the next attempt flushes.
    queue: Option<crate::WriteQueue>,
    hook: Option<crate::queue::ConflictHook>,
    op: Option<StopAsError>,
    /// The outcomes of the attempts before the current one.
    outcomes: Vec<crate::queue::Outcome>,
    /// The reads those attempts noted, whose entries later attempts skip.
    read_once: Vec<crate::queue::ReadOnce>,
    /// The last attempt stopped early and `queue` is what it left.
    stopped: bool,
}

impl std::fmt::Debug for FlushCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlushCall")
            .field("outcomes", &self.outcomes.len())
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

impl FlushCall {
    /// The flush of `queue` (after [`WriteQueue::begin_flush`](crate::WriteQueue::begin_flush)),
    /// asking `hook` about conflicts when there is one.
    pub fn new(queue: crate::WriteQueue, hook: Option<crate::queue::ConflictHook>) -> Self {
        FlushCall {
            queue: Some(queue),
            hook,
            op: None,
            outcomes: Vec::new(),
            read_once: Vec::new(),
            stopped: false,
        }
    }

    /// The flush's result from what [`DavClient::run_dyn`] returned: every run's outcomes and
    /// the queue of the last one; when the last run stopped early and was not run again, its
    /// error as [`stopped`](crate::FlushResult::stopped). Any other error (no token, a queue
    /// not begun) is returned as it is.
    pub fn output(&mut self, run: Result<()>) -> Result<crate::FlushResult> {
        let error = match run {
            Ok(()) => {
                let mut result = self
                    .op
                    .take()
                    .and_then(|op| op.result)
                    .ok_or_else(no_output)?;
                let mut outcomes = std::mem::take(&mut self.outcomes);
                outcomes.append(&mut result.outcomes);
                let mut read_once = std::mem::take(&mut self.read_once);
                read_once.append(&mut result.read_once);
                return Ok(crate::FlushResult {
                    outcomes,
                    read_once,
                    ..result
                });
            }
            Err(error) => error,
        };
        match self.queue.take() {
            Some(queue) if self.stopped => Ok(crate::FlushResult {
                queue,
                outcomes: std::mem::take(&mut self.outcomes),
                stopped: Some(error),
                read_once: std::mem::take(&mut self.read_once),
            }),
            _ => Err(error),
        }
    }
}

impl Attempts for FlushCall {
    fn start(&mut self, session: &Session) -> Option<&mut (dyn Operation<Output = ()> + Send)> {
        let queue = self.queue.take()?;
        self.stopped = false;
        let mut flush = session
            .flush(queue)
            .skipping(self.read_once.iter().map(|r| r.id).collect());
        if let Some(hook) = &self.hook {
            flush = flush.with_hook(hook.clone());
        }
        Some(self.op.insert(StopAsError {
            flush,
            result: None,
        }))
    }

    fn failed(&mut self) {
        if let Some(mut result) = self.op.take().and_then(|op| op.result) {
            self.outcomes.append(&mut result.outcomes);
            self.read_once.append(&mut result.read_once);
            self.queue = Some(result.queue);
            self.stopped = true;
        }
    }
}

/// A flush seen by the retry loop: a result with `stopped` set ends as that error (so that the
/// loop refreshes the token or waits), the result kept aside without it.
struct StopAsError {
    flush: crate::queue::Flush,
    result: Option<crate::FlushResult>,
}

impl Operation for StopAsError {
    type Output = ();

    fn poll(&mut self) -> crate::op::Poll<()> {
        use crate::op::Poll;
        match self.flush.poll() {
            Poll::Send(request) => Poll::Send(request),
            Poll::Wait => Poll::Wait,
            Poll::Done(Ok(mut result)) => {
                let stopped = result.stopped.take();
                self.result = Some(result);
                match stopped {
                    Some(error) => Poll::Done(Err(error)),
                    None => Poll::Done(Ok(())),
                }
            }
            Poll::Done(Err(error)) => Poll::Done(Err(error)),
        }
    }

    fn handle_response(&mut self, id: crate::RequestId, response: crate::HttpResponse) {
        self.flush.handle_response(id, response);
    }

    fn handle_transport_error(&mut self, id: crate::RequestId, error: Error) {
        self.flush.handle_transport_error(id, error);
    }

    fn handle_head(&mut self, id: crate::RequestId, head: &crate::HttpResponse) -> bool {
        self.flush.handle_head(id, head)
    }

    fn handle_body_chunk(&mut self, id: crate::RequestId, chunk: &[u8]) {
        self.flush.handle_body_chunk(id, chunk);
    }

    fn handle_body_end(&mut self, id: crate::RequestId) {
        self.flush.handle_body_end(id);
    }
}

#[cfg(test)]
mod tests;
