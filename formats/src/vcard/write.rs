//! Editing a vCard: each setter writes into the lossless component and keeps what it does not
//! model.

use super::{PartialDate, Photo, StructuredName, TypedValue, VCard, Version, b64_encode};
use crate::contentline::{Property, escape_text};

impl VCard {
    fn set_text_prop(&mut self, name: &str, v: Option<&str>) {
        match v {
            Some(v) => match self.comp.property_mut(name) {
                Some(p) => p.set_text(v),
                None => self.comp.push_property(Property::text(name, v)),
            },
            None => {
                self.comp.remove_properties(name);
            }
        }
    }

    /// Sets UID.
    pub fn set_uid(&mut self, uid: &str) {
        self.set_text_prop("UID", Some(uid));
    }

    /// Sets FN.
    pub fn set_full_name(&mut self, v: &str) {
        self.set_text_prop("FN", Some(v));
    }

    /// Sets N.
    pub fn set_name(&mut self, n: &StructuredName) {
        let v = [&n.family, &n.given, &n.additional, &n.prefixes, &n.suffixes]
            .iter()
            .map(|s| escape_text(s).into_owned())
            .collect::<Vec<_>>()
            .join(";");
        self.comp.set_property(Property::new("N", &v));
    }

    /// Sets or removes NOTE.
    pub fn set_note(&mut self, v: Option<&str>) {
        self.set_text_prop("NOTE", v);
    }

    /// Sets or removes TITLE.
    pub fn set_title(&mut self, v: Option<&str>) {
        self.set_text_prop("TITLE", v);
    }

    /// Sets ORG (name then units) or removes it.
    pub fn set_org(&mut self, parts: Option<&[&str]>) {
        match parts {
            Some(parts) => {
                let v: Vec<String> = parts.iter().map(|s| escape_text(s).into_owned()).collect();
                self.comp.set_property(Property::new("ORG", &v.join(";")));
            }
            None => {
                self.comp.remove_properties("ORG");
            }
        }
    }

    /// Replaces NICKNAME.
    pub fn set_nicknames(&mut self, names: &[&str]) {
        self.set_list("NICKNAME", names);
    }

    /// Replaces CATEGORIES.
    pub fn set_categories(&mut self, cats: &[&str]) {
        self.set_list("CATEGORIES", cats);
    }

    fn set_list(&mut self, name: &str, items: &[&str]) {
        self.comp.remove_properties(name);
        if !items.is_empty() {
            let v: Vec<String> = items.iter().map(|s| escape_text(s).into_owned()).collect();
            self.comp.push_property(Property::new(name, &v.join(",")));
        }
    }

    fn add_typed(&mut self, name: &str, v: &TypedValue) {
        let v4 = self.version() == Some(Version::V4);
        let mut p = Property::text(name, &v.value);
        if let Some(g) = &v.group {
            p.set_group(Some(g));
        }
        let mut types: Vec<String> = v
            .types
            .iter()
            .map(|t| {
                if v4 {
                    t.to_ascii_lowercase()
                } else {
                    t.to_ascii_uppercase()
                }
            })
            .collect();
        if !v4 && v.pref.is_some() {
            types.push("PREF".into());
        }
        if !types.is_empty() {
            let refs: Vec<&str> = types.iter().map(String::as_str).collect();
            p.set_param("TYPE", &refs);
        }
        if v4 && let Some(n) = v.pref {
            p.set_param("PREF", &[&n.to_string()]);
        }
        self.comp.push_property(p);
    }

    /// Adds a TEL.
    pub fn add_tel(&mut self, v: &TypedValue) {
        self.add_typed("TEL", v);
    }

    /// Adds an EMAIL.
    pub fn add_email(&mut self, v: &TypedValue) {
        self.add_typed("EMAIL", v);
    }

    /// Adds a URL.
    pub fn add_url(&mut self, v: &TypedValue) {
        self.add_typed("URL", v);
    }

    /// Removes every property with this name (e.g. `TEL`) and returns how many went.
    pub fn remove_all(&mut self, name: &str) -> usize {
        self.comp.remove_properties(name)
    }

    /// Sets or removes BDAY, in the form of this card's version.
    pub fn set_birthday(&mut self, d: Option<&PartialDate>) {
        match d {
            Some(d) => {
                let v = if self.version() == Some(Version::V4) {
                    d.to_v4()
                } else {
                    d.to_iso()
                };
                self.comp.set_property(Property::new("BDAY", &v));
            }
            None => {
                self.comp.remove_properties("BDAY");
            }
        }
    }

    /// Sets or removes PHOTO, in the form of this card's version.
    pub fn set_photo(&mut self, photo: Option<&Photo>) {
        self.comp.remove_properties("PHOTO");
        let Some(photo) = photo else { return };
        let v4 = self.version() == Some(Version::V4);
        let p = match photo {
            Photo::Uri(u) if v4 => Property::new("PHOTO", u),
            Photo::Uri(u) => {
                let mut p = Property::new("PHOTO", u);
                p.set_param("VALUE", &["uri"]);
                p
            }
            Photo::Inline { media_type, data } if v4 => Property::new(
                "PHOTO",
                &format!(
                    "data:{};base64,{}",
                    media_type.as_deref().unwrap_or("application/octet-stream"),
                    b64_encode(data)
                ),
            ),
            Photo::Inline { media_type, data } => {
                let mut p = Property::new("PHOTO", &b64_encode(data));
                p.set_param("ENCODING", &["b"]);
                if let Some(mt) = media_type {
                    let sub = mt.rsplit('/').next().unwrap_or(mt).to_ascii_uppercase();
                    p.set_param("TYPE", &[&sub]);
                }
                p
            }
        };
        self.comp.push_property(p);
    }

    /// Sets REV.
    pub fn set_rev(&mut self, rev: &str) {
        self.comp.set_property(Property::new("REV", rev));
    }

    /// Sets KIND (4.0) or X-ADDRESSBOOKSERVER-KIND (3.0).
    pub fn set_kind(&mut self, kind: &str) {
        let name = if self.version() == Some(Version::V4) {
            "KIND"
        } else {
            "X-ADDRESSBOOKSERVER-KIND"
        };
        self.comp.set_property(Property::new(name, kind));
    }

    /// Adds a MEMBER (4.0) or X-ADDRESSBOOKSERVER-MEMBER (3.0).
    pub fn add_member(&mut self, uri: &str) {
        let name = if self.version() == Some(Version::V4) {
            "MEMBER"
        } else {
            "X-ADDRESSBOOKSERVER-MEMBER"
        };
        self.comp.push_property(Property::new(name, uri));
    }
}
