//! A plain, serialisable summary of a vCard, for the bindings (JSON, uniffi).

use serde::{Deserialize, Serialize};

use super::read::structured;
use super::{Address, Photo, StructuredName, TypedValue, VCard, Version};

impl VCard {
    /// A plain summary for serde. Each list item in it (ORG unit, category, e-mail...) is a
    /// string or struct of its own; [`VCard::summary_view`] writes the same JSON holding none.
    pub fn to_summary(&self) -> ContactSummary {
        ContactSummary {
            version: self.version(),
            uid: self.uid().map(|s| s.into_owned()),
            full_name: self.full_name().map(|s| s.into_owned()),
            name: self.name(),
            nicknames: self.nicknames(),
            emails: self.emails(),
            tels: self.tels(),
            addresses: self.addresses(),
            org: self.org(),
            title: self.title().map(|s| s.into_owned()),
            birthday: self.birthday().map(|b| b.to_iso()),
            note: self.note().map(|s| s.into_owned()),
            urls: self.urls(),
            categories: self.categories(),
            kind: self.kind(),
            members: self.members(),
            photo_uri: photo_uri(self),
            has_photo: self.comp.property("PHOTO").is_some(),
            rev: self.rev().map(str::to_owned),
        }
    }
}

impl VCard {
    /// What [`VCard::to_summary`] gives, for serde (the same JSON), read from the card as it
    /// is written: each list an item at a time, so however many items the card holds (ORG
    /// units, CATEGORIES, EMAILs...) none is kept, where a `ContactSummary` holds a string or
    /// a struct for each.
    pub fn summary_view(&self) -> impl Serialize + '_ {
        SummaryView(self)
    }
}

struct SummaryView<'a>(&'a VCard);

/// A list written from the iterator `F` makes, anew each time it is written.
struct Seq<F>(F);

impl<F: Fn() -> I, I: Iterator<Item: Serialize>> Serialize for Seq<F> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.collect_seq((self.0)())
    }
}

impl Serialize for SummaryView<'_> {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let c = self.0;
        let photo = c.comp.property("PHOTO");
        let mut s = ser.serialize_struct("ContactSummary", 19)?;
        s.serialize_field("version", &c.version())?;
        s.serialize_field("uid", &c.uid())?;
        s.serialize_field("full_name", &c.full_name())?;
        s.serialize_field("name", &c.name())?;
        s.serialize_field("nicknames", &Seq(|| c.comp.text_list("NICKNAME")))?;
        s.serialize_field("emails", &Seq(|| c.typed("EMAIL", false)))?;
        s.serialize_field("tels", &Seq(|| c.typed("TEL", true)))?;
        s.serialize_field("addresses", &Seq(|| c.address_values()))?;
        let org = c.comp.property("ORG");
        s.serialize_field("org", &org.map(|p| Seq(move || structured(p))))?;
        s.serialize_field("title", &c.title())?;
        s.serialize_field("birthday", &c.birthday().map(|b| b.to_iso()))?;
        s.serialize_field("note", &c.note())?;
        s.serialize_field("urls", &Seq(|| c.typed("URL", false)))?;
        s.serialize_field("categories", &Seq(|| c.comp.text_list("CATEGORIES")))?;
        s.serialize_field("kind", &c.kind())?;
        s.serialize_field("members", &Seq(|| c.member_values()))?;
        s.serialize_field("photo_uri", &photo_uri(c))?;
        s.serialize_field("has_photo", &photo.is_some())?;
        s.serialize_field("rev", &c.rev())?;
        s.end()
    }
}

/// PHOTO when it is a URI.
fn photo_uri(c: &VCard) -> Option<String> {
    match c.photo() {
        Some(Photo::Uri(u)) => Some(u),
        _ => None,
    }
}

/// The fields most apps show for a contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ContactSummary {
    /// VERSION.
    pub version: Option<Version>,
    /// UID.
    pub uid: Option<String>,
    /// FN.
    pub full_name: Option<String>,
    /// N.
    pub name: Option<StructuredName>,
    /// NICKNAME.
    pub nicknames: Vec<String>,
    /// EMAIL.
    pub emails: Vec<TypedValue>,
    /// TEL.
    pub tels: Vec<TypedValue>,
    /// ADR.
    pub addresses: Vec<Address>,
    /// ORG.
    pub org: Option<Vec<String>>,
    /// TITLE.
    pub title: Option<String>,
    /// BDAY as ISO text (`--04-15` without year).
    pub birthday: Option<String>,
    /// NOTE.
    pub note: Option<String>,
    /// URL.
    pub urls: Vec<TypedValue>,
    /// CATEGORIES.
    pub categories: Vec<String>,
    /// KIND.
    pub kind: String,
    /// MEMBER.
    pub members: Vec<String>,
    /// PHOTO when it is a URI.
    pub photo_uri: Option<String>,
    /// True when the card has a PHOTO (inline data is not copied here).
    pub has_photo: bool,
    /// REV.
    pub rev: Option<String>,
}
