//! Seeded changes made straight on the servers between rounds.

use std::collections::BTreeSet;

use crate::servers::{Server, expect_status, http, list_members};

/// SplitMix64: small, seedable, the same on every platform.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Calendar,
    AddressBook,
}

impl Kind {
    pub(crate) fn ext(self) -> &'static str {
        match self {
            Kind::Calendar => "ics",
            Kind::AddressBook => "vcf",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Kind::Calendar => "calendar",
            Kind::AddressBook => "address book",
        }
    }
}

/// One collection under test.
pub(crate) struct Coll {
    pub(crate) kind: Kind,
    /// Its URL on the server.
    pub(crate) url: String,
    /// Its path (the same on the proxy).
    pub(crate) path: String,
    /// A counter making every version of every member's data unique.
    pub(crate) version: u64,
}

/// A resource name from a small pool, so that names collide the way the CLI must handle:
/// `ev1.ics`, `ev1` (the CLI adds `.ics`), `EV1.ics` (case), `ev1.ICS`, `ev1%20x.ics`.
pub(crate) fn pool_name(kind: Kind, rng: &mut Rng) -> String {
    let stem = match kind {
        Kind::Calendar => format!("ev{}", rng.below(4)),
        Kind::AddressBook => format!("p{}", rng.below(4)),
    };
    let ext = kind.ext();
    match rng.below(5) {
        0 => format!("{stem}.{ext}"),
        1 => stem,
        2 => format!("{}.{ext}", stem.to_uppercase()),
        3 => format!("{stem}.{}", ext.to_uppercase()),
        _ => format!("{stem}%20x.{ext}"),
    }
}

/// The data of a member: its UID is fixed by its href, the rest changes with the version.
pub(crate) fn member_data(kind: Kind, coll_path: &str, href: &str, version: u64) -> String {
    let uid: String = format!("{coll_path}{href}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    match kind {
        Kind::Calendar => format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davkit//fault test//EN\r\n\
             BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n\
             DTSTART:20260301T{:02}0000Z\r\nDURATION:PT1H\r\nSUMMARY:{href} version {version}\r\n\
             END:VEVENT\r\nEND:VCALENDAR\r\n",
            version % 24
        ),
        Kind::AddressBook => format!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Person {version}\r\n\
             N:Person;{version};;;\r\nNOTE:{href} version {version}\r\nEND:VCARD\r\n"
        ),
    }
}

pub(crate) fn content_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Calendar => "text/calendar; charset=utf-8",
        Kind::AddressBook => "text/vcard; charset=utf-8",
    }
}

/// Changes the collection directly on the server: adds 1-3 members, changes 1-2, deletes 0-2.
pub(crate) fn change_directly(
    server: &Server,
    coll: &mut Coll,
    rng: &mut Rng,
) -> (usize, usize, usize) {
    let members: Vec<String> = list_members(server, &coll.url).into_keys().collect();
    let names: BTreeSet<String> = members
        .iter()
        .map(|h| h.trim_start_matches(&coll.path).to_owned())
        .collect();
    let put = |coll: &mut Coll, name: &str| {
        coll.version += 1;
        let data = member_data(coll.kind, &coll.path, name, coll.version);
        let url = format!("{}{name}", coll.url);
        let r = http(
            server,
            "PUT",
            &url,
            &[("Content-Type", content_type(coll.kind))],
            data.as_bytes(),
        );
        expect_status(&r, &[200, 201, 204], &format!("PUT {url}"));
    };
    let mut added = 0;
    for _ in 0..1 + rng.below(3) {
        let name = pool_name(coll.kind, rng);
        if !names.contains(&name) {
            put(coll, &name);
            added += 1;
        }
    }
    let mut changed = 0;
    let mut deleted = 0;
    let mut existing: Vec<&String> = names.iter().collect();
    for _ in 0..1 + rng.below(2) {
        if existing.is_empty() {
            break;
        }
        let name = existing.remove(rng.below(existing.len())).clone();
        put(coll, &name);
        changed += 1;
    }
    for _ in 0..rng.below(3) {
        if existing.is_empty() {
            break;
        }
        let name = existing.remove(rng.below(existing.len()));
        let url = format!("{}{name}", coll.url);
        let r = http(server, "DELETE", &url, &[], b"");
        expect_status(&r, &[200, 204], &format!("DELETE {url}"));
        deleted += 1;
    }
    (added, changed, deleted)
}
