//! Reading a vCard: one getter per modelled property, each linear in the card.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::{Address, PartialDate, Photo, StructuredName, TypedValue, VCard, Version};
use crate::contentline::{Property, SplitUnescaped, unescape_text};

/// The `;`-separated parts of a structured value (N, ADR, ORG) one at a time, unescaped.
pub(super) fn structured(p: &Property) -> impl Iterator<Item = Cow<'_, str>> {
    SplitUnescaped::new(p.raw_value(), ';').map(unescape_text)
}

/// The parts of [`structured`] in order, then empty strings: only the parts asked for are
/// read, whatever the value holds.
fn parts<'a>(p: &'a Property) -> impl FnMut() -> String + 'a {
    let mut it = structured(p);
    move || it.next().map(Cow::into_owned).unwrap_or_default()
}

fn types_of(p: &Property) -> (Vec<String>, Option<u8>) {
    let mut types = Vec::new();
    let mut seen = super::Seen::new();
    let mut pref = p
        .param_value("PREF")
        .and_then(|v| v.trim().parse::<u8>().ok());
    for param in p.params() {
        let is_type = param.name().eq_ignore_ascii_case("TYPE");
        let bare = param.raw_value().is_none();
        if !is_type && !bare {
            continue;
        }
        for vs in param.values() {
            // RFC 6350 examples quote a list: TYPE="voice,home"
            for v in vs.split(',') {
                let v = v.trim().to_ascii_lowercase();
                if v.is_empty() {
                    continue;
                }
                if v == "pref" {
                    pref = pref.or(Some(1));
                } else if super::first_time(&mut seen, v.clone()) {
                    types.push(v);
                }
            }
        }
    }
    (types, pref)
}

impl VCard {
    fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        self.comp.property(name).map(Property::text_value)
    }

    fn texts(&self, name: &str) -> Vec<String> {
        self.comp.text_list(name).map(Cow::into_owned).collect()
    }

    /// VERSION.
    pub fn version(&self) -> Option<Version> {
        match self.comp.property("VERSION").map(|p| p.raw_value().trim()) {
            Some("4.0") => Some(Version::V4),
            Some("3.0") => Some(Version::V3),
            Some("2.1") => Some(Version::V2_1),
            _ => None,
        }
    }

    /// UID (a `urn:uuid:` prefix is kept as written).
    pub fn uid(&self) -> Option<Cow<'_, str>> {
        self.text("UID")
    }

    /// FN.
    pub fn full_name(&self) -> Option<Cow<'_, str>> {
        self.text("FN")
    }

    /// N.
    pub fn name(&self) -> Option<StructuredName> {
        let p = self.comp.property("N")?;
        // the five parts in order (fields are evaluated as written), no list of all of them
        let mut parts = parts(p);
        Some(StructuredName {
            family: parts(),
            given: parts(),
            additional: parts(),
            prefixes: parts(),
            suffixes: parts(),
        })
    }

    /// NICKNAME values.
    pub fn nicknames(&self) -> Vec<String> {
        self.texts("NICKNAME")
    }

    /// CATEGORIES values.
    pub fn categories(&self) -> Vec<String> {
        self.texts("CATEGORIES")
    }

    /// The first `X-ABLabel` of each group, by lower-cased group name (one pass over the card).
    /// Returned as the labels and their index in it by group (one map type, `String` to index,
    /// serves every keyed lookup of the formats module).
    fn labels(&self) -> (Vec<&Property>, BTreeMap<String, usize>) {
        let (mut props, mut at) = (Vec::new(), BTreeMap::new());
        for p in self.comp.properties() {
            if let Some(g) = p.group()
                && p.is("X-ABLabel")
            {
                at.entry(g.to_ascii_lowercase()).or_insert_with(|| {
                    props.push(p);
                    props.len() - 1
                });
            }
        }
        (props, at)
    }

    /// The TEL, EMAIL or URL values one at a time (the labels found first, in one pass).
    pub(super) fn typed(
        &self,
        name: &'static str,
        strip_tel: bool,
    ) -> impl Iterator<Item = TypedValue> + '_ {
        let (labels, label_at) = self.labels();
        self.comp.properties_named(name).map(move |p| {
            let (types, pref) = types_of(p);
            let mut value = unescape_text(p.raw_value().trim()).into_owned();
            if strip_tel
                && value
                    .get(..4)
                    .is_some_and(|s| s.eq_ignore_ascii_case("tel:"))
            {
                value = value.get(4..).unwrap_or("").to_owned();
            }
            let label = p
                .group()
                .and_then(|g| label_at.get(&g.to_ascii_lowercase()))
                .and_then(|i| labels.get(*i))
                .map(|l| l.text_value().into_owned());
            TypedValue {
                value,
                types,
                pref,
                group: p.group().map(str::to_owned),
                label,
            }
        })
    }

    /// TEL values.
    pub fn tels(&self) -> Vec<TypedValue> {
        self.typed("TEL", true).collect()
    }

    /// EMAIL values.
    pub fn emails(&self) -> Vec<TypedValue> {
        self.typed("EMAIL", false).collect()
    }

    /// URL values.
    pub fn urls(&self) -> Vec<TypedValue> {
        self.typed("URL", false).collect()
    }

    /// ADR values.
    pub fn addresses(&self) -> Vec<Address> {
        self.address_values().collect()
    }

    /// The ADR values one at a time.
    pub(super) fn address_values(&self) -> impl Iterator<Item = Address> + '_ {
        self.comp.properties_named("ADR").map(|p| {
            let mut parts = parts(p);
            let (types, pref) = types_of(p);
            Address {
                po_box: parts(),
                extended: parts(),
                street: parts(),
                locality: parts(),
                region: parts(),
                postal_code: parts(),
                country: parts(),
                types,
                pref,
                label: p.param_value("LABEL").map(|l| l.into_owned()),
                group: p.group().map(str::to_owned),
            }
        })
    }

    /// ORG: organisation name then units.
    pub fn org(&self) -> Option<Vec<String>> {
        Some(
            structured(self.comp.property("ORG")?)
                .map(Cow::into_owned)
                .collect(),
        )
    }

    /// TITLE.
    pub fn title(&self) -> Option<Cow<'_, str>> {
        self.text("TITLE")
    }

    /// NOTE.
    pub fn note(&self) -> Option<Cow<'_, str>> {
        self.text("NOTE")
    }

    /// BDAY (a birthday may have no year).
    pub fn birthday(&self) -> Option<PartialDate> {
        self.comp.property("BDAY").map(PartialDate::from_property)
    }

    /// ANNIVERSARY.
    pub fn anniversary(&self) -> Option<PartialDate> {
        self.comp
            .property("ANNIVERSARY")
            .map(PartialDate::from_property)
    }

    /// PHOTO.
    pub fn photo(&self) -> Option<Photo> {
        self.comp.property("PHOTO").and_then(Photo::from_property)
    }

    /// REV as written.
    pub fn rev(&self) -> Option<&str> {
        self.comp.property("REV").map(|p| p.raw_value().trim())
    }

    /// KIND (4.0) or Apple's X-ADDRESSBOOKSERVER-KIND (3.0), lower-cased; `individual` when absent.
    pub fn kind(&self) -> String {
        self.comp
            .property("KIND")
            .or_else(|| self.comp.property("X-ADDRESSBOOKSERVER-KIND"))
            .map(|p| p.raw_value().trim().to_ascii_lowercase())
            .unwrap_or_else(|| "individual".into())
    }

    /// MEMBER (4.0) or X-ADDRESSBOOKSERVER-MEMBER (3.0) URIs.
    pub fn members(&self) -> Vec<String> {
        self.member_values().map(str::to_owned).collect()
    }

    /// The MEMBER URIs one at a time.
    pub(super) fn member_values(&self) -> impl Iterator<Item = &str> {
        self.comp
            .properties()
            .iter()
            .filter(|p| p.is("MEMBER") || p.is("X-ADDRESSBOOKSERVER-MEMBER"))
            .map(|p| p.raw_value().trim())
    }

    /// The distinct groups used by properties (`item1`, ...).
    pub fn groups(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let mut seen = super::Seen::new();
        for p in self.comp.properties() {
            if let Some(g) = p.group()
                && super::first_time(&mut seen, g.to_ascii_lowercase())
            {
                out.push(g);
            }
        }
        out
    }

    /// Every property of a group.
    pub fn group_properties<'a>(
        &'a self,
        group: &'a str,
    ) -> impl Iterator<Item = &'a Property> + 'a {
        self.comp
            .properties()
            .iter()
            .filter(move |p| p.group().is_some_and(|g| g.eq_ignore_ascii_case(group)))
    }
}
