//! The fault injector: which faults exist, which requests each can hit, and the seeded choice
//! of one per request. Applying them is in `world.rs`.

use crate::server::{Class, Flavor};
use davkit_testkit::Rng;

/// Every kind of fault the simulation injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// 500 or 502, nothing applied.
    ServerError,
    /// 503 with `Retry-After`, nothing applied.
    Unavailable503,
    /// 429 with or without `Retry-After`, nothing applied.
    RateLimited429,
    /// The access token expires: 401 until the client refreshes it.
    Unauthorized401,
    /// The connection fails before the server sees the request.
    TransportBeforeApply,
    /// A kept-alive connection the server had closed: the request fails unsent.
    StaleConnection,
    /// The server applies the request, then the connection drops before the answer.
    TransportAfterApply,
    /// 301 or 307 to the same path.
    Redirect,
    /// Redirects to the same path for every hop of this request.
    RedirectLoop,
    /// A multistatus body cut short.
    TruncatedBody,
    /// A multistatus body with a broken tag.
    MalformedBody,
    /// One member row answered 500.
    RowError500,
    /// One member row answered 503.
    RowError503,
    /// One member row answered 403.
    RowError403,
    /// One multiget row without its data (404 propstat for calendar-data/address-data).
    RowNoData404,
    /// One multiget row left out.
    RowOmitted,
    /// One row sent twice.
    RowDuplicated,
    /// A multiget row with data for an href that was not asked for and does not exist.
    RowUnrequested,
    /// A multiget 404 row for an existing member that was not asked for.
    RowUnrequested404,
    /// The server ignores `If-None-Match: *`, replaces what is there and answers 204.
    CreateAsReplacement,
    /// A truncated sync page whose token is the one asked with.
    RepeatedPageToken,
    /// Truncated sync pages with fresh tokens and no members, forever.
    EndlessPaging,
    /// The server forgot the sync token: 403 `valid-sync-token`.
    TokenInvalid403,
    /// The server forgot the sync token: 409 `valid-sync-token`.
    TokenInvalid409,
    /// The server forgot the sync token: 410 Gone.
    TokenGone410,
    /// A write refused 423 Locked (a lock another client holds), nothing applied.
    Locked423,
    /// One multiget row answered 404 for a member that exists (a proxy, or a server that
    /// misreads the href in a multiget).
    RowFalse404,
    /// A login proxy (or captive portal) in front of the server answers 200 with its HTML
    /// page; the request never reaches the server.
    LoginPage,
    /// A captive portal or single sign-on proxy redirects the request (302) to its login page
    /// on another origin, which answers 200 with HTML.
    PortalRedirect,
    /// One multiget row whose data property is there, 200, but empty (a server that failed
    /// to read the object, a proxy that cut it).
    RowEmptyData,
    /// One member row (of a sync page, a listing or a multiget) whose `getetag` is there,
    /// 200, but empty (a server or proxy that lost it).
    RowEmptyEtag,
    /// A sync page whose `DAV:sync-token` element is missing (a server or proxy that lost it).
    SyncTokenDropped,
    /// One multiget row answers the member's version before its latest change, data and
    /// ETag, as a replica that has not caught up does (iCloud and Google are eventually
    /// consistent): older than the ETag the listing or sync report named. Once per version
    /// of a member: the replica has caught up with it by the next request for it (a lag of
    /// seconds, shorter than the time between two syncs), so two answers that agree are
    /// the member's (the limit davkit states).
    RowStale,
    /// A GET answers as a replica that has not caught up: the member's version before its
    /// latest change, data and ETag, or 404 for a member created since. Once per version of
    /// a member, as `RowStale`.
    GetStale,
    /// A GET answered 200 without its `ETag` header (a proxy or cache that dropped it).
    GetNoEtag,
    /// A member listing (PROPFIND Depth 1) or sync page answered by a replica that has not
    /// caught up with the client's own latest write of one member: its row names the version
    /// before (with its data, where the page carries data), or is left out for a member the
    /// client created (iCloud: "newly created events may not appear immediately"). Once per
    /// version of a member, as `RowStale`. (A version the client never
    /// knew, listed as the one before, is a gap no client can tell, so it is not injected.)
    ListStale,
}

impl Fault {
    pub const ALL: [Fault; 36] = [
        Fault::ServerError,
        Fault::Unavailable503,
        Fault::RateLimited429,
        Fault::Unauthorized401,
        Fault::TransportBeforeApply,
        Fault::StaleConnection,
        Fault::TransportAfterApply,
        Fault::Redirect,
        Fault::RedirectLoop,
        Fault::TruncatedBody,
        Fault::MalformedBody,
        Fault::RowError500,
        Fault::RowError503,
        Fault::RowError403,
        Fault::RowNoData404,
        Fault::RowOmitted,
        Fault::RowDuplicated,
        Fault::RowUnrequested,
        Fault::RowUnrequested404,
        Fault::CreateAsReplacement,
        Fault::RepeatedPageToken,
        Fault::EndlessPaging,
        Fault::TokenInvalid403,
        Fault::TokenInvalid409,
        Fault::TokenGone410,
        Fault::Locked423,
        Fault::RowFalse404,
        Fault::LoginPage,
        Fault::PortalRedirect,
        Fault::RowEmptyData,
        Fault::RowEmptyEtag,
        Fault::SyncTokenDropped,
        Fault::RowStale,
        Fault::GetStale,
        Fault::GetNoEtag,
        Fault::ListStale,
    ];

    pub fn index(self) -> usize {
        Fault::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }

    /// Whether this fault changes rows of a multistatus (decided after the server answered).
    pub fn is_row_fault(self) -> bool {
        matches!(
            self,
            Fault::RowError500
                | Fault::RowError503
                | Fault::RowError403
                | Fault::RowNoData404
                | Fault::RowOmitted
                | Fault::RowDuplicated
                | Fault::RowUnrequested
                | Fault::RowUnrequested404
                | Fault::RowFalse404
                | Fault::RowEmptyData
                | Fault::RowEmptyEtag
                | Fault::RowStale
                | Fault::ListStale
        )
    }

    /// Whether the fault can hit this request.
    fn applies(self, class: &Class, create_collision: bool, flavor: Flavor) -> bool {
        let multistatus = matches!(
            class,
            Class::SyncPage { .. }
                | Class::Listing(_)
                | Class::CollProps(_)
                | Class::Multiget(_)
                | Class::Check(..)
        );
        let rows = matches!(
            class,
            Class::SyncPage { .. } | Class::Listing(_) | Class::Multiget(_)
        );
        let paging = matches!(class, Class::SyncPage { token: Some(_), .. });
        match self {
            Fault::ServerError
            | Fault::Unavailable503
            | Fault::RateLimited429
            | Fault::Unauthorized401
            | Fault::TransportBeforeApply
            | Fault::StaleConnection
            | Fault::TransportAfterApply
            | Fault::Redirect
            | Fault::RedirectLoop
            | Fault::LoginPage
            | Fault::PortalRedirect => *class != Class::Other,
            Fault::TruncatedBody | Fault::MalformedBody => multistatus,
            Fault::RowError500 | Fault::RowError503 | Fault::RowError403 | Fault::RowDuplicated => {
                rows
            }
            Fault::RowNoData404
            | Fault::RowOmitted
            | Fault::RowUnrequested
            | Fault::RowUnrequested404
            | Fault::RowFalse404
            | Fault::RowEmptyData
            | Fault::RowStale => matches!(class, Class::Multiget(_)),
            Fault::RowEmptyEtag => rows,
            Fault::GetStale | Fault::GetNoEtag => matches!(class, Class::Get(..)),
            Fault::ListStale => matches!(class, Class::Listing(_) | Class::SyncPage { .. }),
            Fault::SyncTokenDropped => matches!(class, Class::SyncPage { .. }),
            Fault::CreateAsReplacement => create_collision && flavor.honours_if_none_match(),
            Fault::Locked423 => class.is_write(),
            Fault::RepeatedPageToken
            | Fault::EndlessPaging
            | Fault::TokenInvalid403
            | Fault::TokenInvalid409
            | Fault::TokenGone410 => paging,
        }
    }
}

/// The per-history fault plan: how often, from which stream.
#[derive(Debug)]
pub struct Injector {
    pub rng: Rng,
    /// Faults per 1000 requests (0 for fault-free histories).
    pub per_mille: u32,
    pub enabled: bool,
}

impl Injector {
    pub fn new(rng: Rng, per_mille: u32) -> Self {
        Injector {
            rng,
            per_mille,
            enabled: true,
        }
    }

    /// The fault for this request, if any: one of those that apply, uniformly.
    pub fn pick(&mut self, class: &Class, create_collision: bool, flavor: Flavor) -> Option<Fault> {
        if !self.enabled || self.per_mille == 0 {
            return None;
        }
        let replacement = create_collision && flavor.honours_if_none_match();
        if replacement {
            // Creates over an existing name are rare in a history: when one happens, the
            // server ignores If-None-Match often enough for the fault to be exercised.
            if self.rng.chance(self.per_mille.max(200)) {
                return Some(Fault::CreateAsReplacement);
            }
        }
        if !self.rng.chance(self.per_mille) {
            return None;
        }
        let candidates: Vec<Fault> = Fault::ALL
            .iter()
            .copied()
            .filter(|f| f.applies(class, create_collision, flavor))
            .collect();
        self.rng.pick(&candidates).copied()
    }
}
