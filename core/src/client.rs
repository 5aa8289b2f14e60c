//! [`DavClient`]: the async API, each method one [`drive`] of a core operation over a
//! [`Transport`]. Bindings wrap this; it has no runtime of its own.

use crate::error::Result;
use crate::model::{
    Collection, CollectionKind, DavObject, Discovery, SyncResult, SyncState, WriteResult,
};
use crate::op::{Transport, drive};
use crate::ops::collections::CollectionProps;
use crate::ops::discover::Service;
use crate::ops::objects::MultigetResult;
use crate::rfc4791::CalendarFilter;
use crate::session::{Config, Session};

/// An async CalDAV/CardDAV client over any [`Transport`].
#[derive(Debug)]
pub struct DavClient<T> {
    session: Session,
    transport: T,
}

impl<T: Transport> DavClient<T> {
    /// A client for a configuration and a transport.
    pub fn new(config: Config, transport: T) -> Result<Self> {
        Ok(DavClient {
            session: Session::new(config)?,
            transport,
        })
    }

    /// The sans-IO session behind the client (to build operations by hand).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// Finds the principal, home sets, calendars and address books.
    pub async fn discover(&self, service: Service) -> Result<Discovery> {
        drive(self.session.discover(service), &self.transport).await
    }

    /// Lists the calendars and address books in a home set.
    pub async fn list_collections(&self, home_url: &str) -> Result<Vec<Collection>> {
        drive(self.session.list_collections(home_url), &self.transport).await
    }

    /// Reads one collection's properties.
    pub async fn get_collection(&self, url: &str) -> Result<Collection> {
        drive(self.session.get_collection(url), &self.transport).await
    }

    /// Creates a calendar in a home set.
    pub async fn create_calendar(
        &self,
        home_url: &str,
        slug: &str,
        props: CollectionProps,
    ) -> Result<Collection> {
        drive(
            self.session.create_calendar(home_url, slug, props),
            &self.transport,
        )
        .await
    }

    /// Creates an address book in a home set.
    pub async fn create_address_book(
        &self,
        home_url: &str,
        slug: &str,
        props: CollectionProps,
    ) -> Result<Collection> {
        drive(
            self.session.create_address_book(home_url, slug, props),
            &self.transport,
        )
        .await
    }

    /// Changes a collection's name, description or colour.
    pub async fn update_collection(
        &self,
        url: &str,
        kind: CollectionKind,
        props: CollectionProps,
    ) -> Result<()> {
        drive(
            self.session.update_collection(url, kind, props),
            &self.transport,
        )
        .await
    }

    /// Deletes a collection.
    pub async fn delete_collection(&self, url: &str) -> Result<()> {
        drive(self.session.delete_collection(url), &self.transport).await
    }

    /// Lists a collection's members with their ETags.
    pub async fn list_objects(&self, collection_url: &str) -> Result<Vec<DavObject>> {
        drive(self.session.list_objects(collection_url), &self.transport).await
    }

    /// Runs a calendar-query (component and time range).
    pub async fn calendar_query(
        &self,
        collection_url: &str,
        filter: CalendarFilter,
    ) -> Result<Vec<DavObject>> {
        drive(
            self.session.calendar_query(collection_url, filter),
            &self.transport,
        )
        .await
    }

    /// Fetches members by href in batches.
    pub async fn multiget(
        &self,
        collection_url: &str,
        kind: CollectionKind,
        hrefs: Vec<String>,
    ) -> Result<MultigetResult> {
        drive(
            self.session.multiget(collection_url, kind, hrefs),
            &self.transport,
        )
        .await
    }

    /// Fetches one object.
    pub async fn get_object(&self, url: &str) -> Result<DavObject> {
        drive(self.session.get_object(url), &self.transport).await
    }

    /// Creates an object (fails if the name is taken).
    pub async fn create_object(
        &self,
        collection_url: &str,
        name: &str,
        data: &str,
    ) -> Result<WriteResult> {
        drive(
            self.session.create_object(collection_url, name, data),
            &self.transport,
        )
        .await
    }

    /// Replaces an object if its ETag still matches.
    pub async fn update_object(&self, url: &str, data: &str, etag: &str) -> Result<WriteResult> {
        drive(self.session.update_object(url, data, etag), &self.transport).await
    }

    /// Deletes an object if its ETag still matches.
    pub async fn delete_object(&self, url: &str, etag: &str) -> Result<()> {
        drive(self.session.delete_object(url, etag), &self.transport).await
    }

    /// Creates an object by POST to an RFC 5995 add-member URL.
    pub async fn post_object(&self, add_member_url: &str, data: &str) -> Result<WriteResult> {
        drive(
            self.session.post_object(add_member_url, data),
            &self.transport,
        )
        .await
    }

    /// Synchronises a collection from a stored state.
    pub async fn sync(&self, state: SyncState, kind: CollectionKind) -> Result<SyncResult> {
        drive(self.session.sync(state, kind), &self.transport).await
    }
}
