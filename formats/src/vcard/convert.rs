//! vCard 3.0 (RFC 2426) <-> 4.0 (RFC 6350 §6, Appendix A "Differences from RFCs 2425 and 2426").
//!
//! Each property is converted on its own in one pass over its parameters (TYPE values are
//! de-duplicated through a sorted list, parameters are removed in one rewrite), so the
//! conversion is about linear in the card.

use super::{PartialDate, Photo, UnwrittenVersion, VCard, Version, b64_encode, media_type_from_3};
use crate::contentline::{Component, Property};

/// Types that 3.0 uses and 4.0 dropped, per property.
const DROP_IN_V4: &[(&str, &str)] = &[("EMAIL", "internet"), ("EMAIL", "x400")];

/// The TYPE values (and bare 2.1-style parameters) in order, without case-insensitive
/// duplicates.
fn type_values(p: &Property) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = super::Seen::new();
    for param in p.params() {
        if param.name().eq_ignore_ascii_case("TYPE") || param.raw_value().is_none() {
            for vs in param.values() {
                for v in vs.split(',') {
                    let v = v.trim();
                    if !v.is_empty() && super::first_time(&mut seen, v.to_ascii_lowercase()) {
                        out.push(v.to_owned());
                    }
                }
            }
        }
    }
    out
}

/// Removes TYPE and bare (2.1-style) parameters, in one rewrite of the line.
fn strip_types(p: &mut Property) {
    p.retain_params(|x| !x.name().eq_ignore_ascii_case("TYPE") && x.raw_value().is_some());
}

fn is_binary_prop(p: &Property) -> Option<&'static str> {
    if p.is("PHOTO") || p.is("LOGO") {
        Some("image")
    } else if p.is("SOUND") {
        Some("audio")
    } else if p.is("KEY") {
        Some("application")
    } else {
        None
    }
}

fn to_v4_prop(p: &Property) -> Option<Property> {
    let mut p = p.clone();
    if p.is("VERSION") {
        return Some(Property::new("VERSION", "4.0"));
    }
    p.remove_param("CHARSET");
    if let Some(kind) = is_binary_prop(&p) {
        let encoded = p
            .param_value("ENCODING")
            .is_some_and(|e| e.eq_ignore_ascii_case("b") || e.eq_ignore_ascii_case("BASE64"));
        let mt = p.param_value("TYPE").map(|t| media_type_from_3(&t, kind));
        if encoded {
            let data: String = p
                .raw_value()
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            let value = format!(
                "data:{};base64,{data}",
                mt.as_deref().unwrap_or("application/octet-stream")
            );
            p.remove_param("ENCODING");
            p.remove_param("TYPE");
            p.remove_param("VALUE");
            p.set_raw_value(&value);
        } else {
            p.remove_param("VALUE");
            if let Some(mt) = mt {
                p.remove_param("TYPE");
                p.set_param("MEDIATYPE", &[&mt]);
            }
        }
        return Some(p);
    }
    if p.is("BDAY") || p.is("ANNIVERSARY") {
        let d = PartialDate::from_property(&p);
        p.remove_param("X-APPLE-OMIT-YEAR");
        if d.text.is_none() {
            p.set_raw_value(&d.to_v4());
        } else if p.param("VALUE").is_none() {
            p.set_param("VALUE", &["text"]);
        }
        return Some(p);
    }
    if p.is("X-ADDRESSBOOKSERVER-KIND") {
        let mut k = Property::new("KIND", &p.raw_value().trim().to_ascii_lowercase());
        if let Some(g) = p.group() {
            k.set_group(Some(g));
        }
        return Some(k);
    }
    if p.is("X-ADDRESSBOOKSERVER-MEMBER") {
        p.set_name("MEMBER");
        return Some(p);
    }
    if p.is("GEO") && !p.raw_value().trim_start().starts_with("geo:") {
        let v = p.raw_value().replace("\\;", ";");
        if let Some((lat, lon)) = v.split_once(';') {
            p.set_raw_value(&format!("geo:{},{}", lat.trim(), lon.trim()));
        }
        return Some(p);
    }
    let types = type_values(&p);
    if !types.is_empty() {
        let name = p.name().to_ascii_uppercase();
        let mut keep: Vec<String> = Vec::new();
        let mut pref = false;
        for t in types {
            let lower = t.to_ascii_lowercase();
            if lower == "pref" {
                pref = true;
            } else if !DROP_IN_V4.iter().any(|(n, d)| *n == name && *d == lower) {
                keep.push(lower);
            }
        }
        strip_types(&mut p);
        if !keep.is_empty() {
            let refs: Vec<&str> = keep.iter().map(String::as_str).collect();
            p.set_param("TYPE", &refs);
        }
        if pref && p.param("PREF").is_none() {
            p.set_param("PREF", &["1"]);
        }
    }
    Some(p)
}

fn to_v3_prop(p: &Property) -> Option<Property> {
    let mut p = p.clone();
    if p.is("VERSION") {
        return Some(Property::new("VERSION", "3.0"));
    }
    if let Some(_kind) = is_binary_prop(&p) {
        let raw = p.raw_value().trim().to_owned();
        let photo = Photo::from_property(&p);
        p.remove_param("MEDIATYPE");
        match photo {
            Some(Photo::Inline { media_type, data }) => {
                p.set_raw_value(&b64_encode(&data));
                p.set_param("ENCODING", &["b"]);
                if let Some(mt) = media_type {
                    let sub = mt.rsplit('/').next().unwrap_or(&mt).to_ascii_uppercase();
                    p.set_param("TYPE", &[&sub]);
                }
            }
            _ => {
                if !raw.is_empty() {
                    p.set_param("VALUE", &["uri"]);
                }
            }
        }
        return Some(p);
    }
    if p.is("BDAY") || p.is("ANNIVERSARY") {
        let d = PartialDate::from_property(&p);
        if d.text.is_none() {
            p.set_raw_value(&d.to_iso());
        }
        return Some(p);
    }
    if p.is("KIND") {
        let k = p.raw_value().trim().to_ascii_lowercase();
        if k == "individual" {
            return None;
        }
        p.set_name("X-ADDRESSBOOKSERVER-KIND");
        return Some(p);
    }
    if p.is("MEMBER") {
        p.set_name("X-ADDRESSBOOKSERVER-MEMBER");
        return Some(p);
    }
    if p.is("GEO") {
        if let Some(rest) = p.raw_value().trim().strip_prefix("geo:") {
            let rest = rest.split(';').next().unwrap_or(rest).to_owned();
            if let Some((lat, lon)) = rest.split_once(',') {
                p.set_raw_value(&format!("{lat};{lon}"));
            }
        }
        return Some(p);
    }
    if p.is("TEL")
        && p.param_value("VALUE")
            .is_some_and(|v| v.eq_ignore_ascii_case("uri"))
    {
        let raw = p.raw_value().trim();
        let number = raw.strip_prefix("tel:").unwrap_or(raw).to_owned();
        p.remove_param("VALUE");
        p.set_raw_value(&number);
    }
    let pref = p.param_value("PREF").is_some_and(|v| v.trim() == "1");
    // 3.0 has no PREF parameter.
    p.remove_param("PREF");
    let types = type_values(&p);
    if pref || !types.is_empty() {
        // Loops, not adapter chains collected (each its own `Vec` code in the wasm modules).
        let mut up = Vec::new();
        for t in &types {
            up.push(t.to_ascii_uppercase());
        }
        if pref && !up.iter().any(|t| t == "PREF") {
            up.push("PREF".into());
        }
        strip_types(&mut p);
        let mut refs = Vec::new();
        for t in &up {
            refs.push(t.as_str());
        }
        p.set_param("TYPE", &refs);
    }
    Some(p)
}

impl VCard {
    fn convert(&self, f: fn(&Property) -> Option<Property>) -> Component {
        let mut comp = Component::new(self.comp.name());
        for p in self.comp.properties() {
            if let Some(np) = f(p) {
                comp.push_property(np);
            }
        }
        for c in self.comp.components() {
            comp.push_component(c.clone());
        }
        comp
    }

    /// The card converted to `version`, a version davkit writes: [`VCard::to_v3`] or
    /// [`VCard::to_v4`]. vCard 2.1 is read, never written: asking for it is an
    /// [`UnwrittenVersion`] error (the one rule every binding's conversion goes through).
    pub fn to_version(&self, version: Version) -> Result<VCard, UnwrittenVersion> {
        match version {
            Version::V3 => Ok(self.to_v3()),
            Version::V4 => Ok(self.to_v4()),
            Version::V2_1 => Err(UnwrittenVersion(version)),
        }
    }

    /// A vCard 4.0 copy: PHOTO/LOGO/SOUND inline data become `data:` URIs, `TYPE=PREF` becomes
    /// `PREF=1`, TYPE values are lower-cased (`internet` dropped), birthdays without year become
    /// `--MMDD`, Apple group KIND/MEMBER become KIND/MEMBER, GEO becomes a `geo:` URI. Unknown
    /// properties are copied unchanged.
    pub fn to_v4(&self) -> VCard {
        if self.version() == Some(Version::V4) {
            return self.clone();
        }
        let mut comp = self.convert(to_v4_prop);
        if comp.property("VERSION").is_none() {
            comp.properties_mut()
                .insert(0, Property::new("VERSION", "4.0"));
        }
        VCard { comp }
    }

    /// A vCard 3.0 copy (for Google's CardDAV and other 3.0-only servers): the reverse of
    /// [`VCard::to_v4`]; inline photos become `ENCODING=b;TYPE=JPEG`, `PREF=1` (the most
    /// preferred, RFC 6350 §5.3) becomes `TYPE=PREF` and any other `PREF` goes (3.0 only says
    /// "preferred": made of every `PREF`, all of a card's numbers would be, and back in 4.0 all
    /// `PREF=1`), `tel:` URIs become plain numbers, and an empty N is added when missing
    /// because 3.0 requires it.
    pub fn to_v3(&self) -> VCard {
        if self.version() == Some(Version::V3) {
            return self.clone();
        }
        let mut comp = self.convert(to_v3_prop);
        if comp.property("VERSION").is_none() {
            comp.properties_mut()
                .insert(0, Property::new("VERSION", "3.0"));
        }
        if comp.property("N").is_none() {
            comp.push_property(Property::new("N", ";;;;"));
        }
        VCard { comp }
    }
}
