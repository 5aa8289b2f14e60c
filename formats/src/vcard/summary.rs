//! A plain, serialisable summary of a vCard, for the bindings (JSON, uniffi).

use serde::{Deserialize, Serialize};

use super::{Address, Photo, StructuredName, TypedValue, VCard, Version};

impl VCard {
    /// A plain summary for serde.
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
            photo_uri: match self.photo() {
                Some(Photo::Uri(u)) => Some(u),
                _ => None,
            },
            has_photo: self.comp.property("PHOTO").is_some(),
            rev: self.rev().map(str::to_owned),
        }
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
