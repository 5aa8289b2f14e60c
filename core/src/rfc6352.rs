//! RFC 6352 (CardDAV): addressbook-multiget (§8.7), and address book creation through the
//! extended MKCOL of RFC 5689 §3.

use crate::rfc4791::{multiget_body, set_props};
use crate::rfc4918::PropValue;
use crate::xml::writer::{el, to_document};
use crate::xml::{CARDDAV, DAV, QName};

/// An addressbook-multiget REPORT body for these hrefs.
pub fn addressbook_multiget_body(props: &[QName], hrefs: &[String]) -> String {
    multiget_body(el(CARDDAV, "addressbook-multiget"), props, hrefs)
}

/// An extended MKCOL body (RFC 5689) creating a collection with these resource types and
/// properties; for an address book the types are `DAV:collection` and `CARDDAV:addressbook`.
pub fn extended_mkcol_body(resource_types: &[QName], props: &[PropValue]) -> String {
    let resourcetype = el(DAV, "resourcetype").with_empty(resource_types);
    let prop = el(DAV, "prop")
        .with(resourcetype)
        .with_all(set_props(props));
    to_document(&el(DAV, "mkcol").with(el(DAV, "set").with(prop)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::names;

    #[test]
    fn mkcol_addressbook() {
        let body = extended_mkcol_body(
            &[names::COLLECTION, names::ADDRESSBOOK],
            &[PropValue {
                name: names::DISPLAYNAME,
                value: Some("Contacts".into()),
            }],
        );
        assert!(
            body.contains("<d:resourcetype><d:collection/><card:addressbook/></d:resourcetype>")
        );
        assert!(body.contains("<d:displayname>Contacts</d:displayname>"));
    }

    #[test]
    fn multiget_lists_hrefs() {
        let body = addressbook_multiget_body(
            &[names::GETETAG, names::ADDRESS_DATA],
            &["/a/b.vcf".into(), "/a/c&d.vcf".into()],
        );
        assert!(body.contains("<d:href>/a/b.vcf</d:href><d:href>/a/c&amp;d.vcf</d:href>"));
    }
}
