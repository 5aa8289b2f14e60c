//! A component (`BEGIN:NAME` ... `END:NAME`) with its properties and sub-components, and
//! writing components back out.

use std::borrow::Cow;
use std::fmt;

use super::fold::fold_into;
use super::property::Property;
use super::text::{SplitUnescaped, unescape_text};

/// A component: `BEGIN:NAME`, properties, sub-components, `END:NAME`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Component {
    /// Common names as written (upper case) are static, so they cost no allocation.
    pub(super) name: Cow<'static, str>,
    pub(super) properties: Vec<Property>,
    pub(super) components: Vec<Component>,
}

/// Component names that are shared rather than copied when written exactly like this.
const KNOWN_NAMES: &[&str] = &[
    "VCALENDAR",
    "VEVENT",
    "VTODO",
    "VJOURNAL",
    "VFREEBUSY",
    "VTIMEZONE",
    "STANDARD",
    "DAYLIGHT",
    "VALARM",
    "VAVAILABILITY",
    "AVAILABLE",
    "VCARD",
];

impl Component {
    /// An empty component with this name (e.g. `VEVENT`).
    pub fn new(name: &str) -> Component {
        Component {
            name: match KNOWN_NAMES.iter().find(|k| **k == name) {
                Some(k) => Cow::Borrowed(*k),
                None => Cow::Owned(name.to_owned()),
            },
            properties: Vec::new(),
            components: Vec::new(),
        }
    }

    /// The name as written in `BEGIN:`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Case-insensitive comparison of the name.
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// All properties in order.
    pub fn properties(&self) -> &[Property] {
        &self.properties
    }

    /// The property list, for direct edits.
    pub fn properties_mut(&mut self) -> &mut Vec<Property> {
        &mut self.properties
    }

    /// All sub-components in order.
    pub fn components(&self) -> &[Component] {
        &self.components
    }

    /// The sub-component list, for direct edits.
    pub fn components_mut(&mut self) -> &mut Vec<Component> {
        &mut self.components
    }

    /// The first property with this name (case-insensitive).
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.is(name))
    }

    /// The first property with this name, mutable.
    pub fn property_mut(&mut self, name: &str) -> Option<&mut Property> {
        self.properties.iter_mut().find(|p| p.is(name))
    }

    /// Every property with this name.
    pub fn properties_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Property> + 'a {
        self.properties.iter().filter(move |p| p.is(name))
    }

    /// The comma-separated TEXT values of every property with this name (CATEGORIES,
    /// NICKNAME), trimmed and unescaped, empty ones left out: one at a time, so packed
    /// summaries copy them without a list of strings in between.
    pub(crate) fn text_list<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = Cow<'a, str>> + 'a {
        self.properties_named(name)
            .flat_map(|p| SplitUnescaped::new(p.raw_value(), ','))
            .map(|s| unescape_text(s.trim()))
            .filter(|s| !s.is_empty())
    }

    /// Every sub-component with this name.
    pub fn components_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Component> + 'a {
        self.components.iter().filter(move |c| c.is(name))
    }

    /// Appends a property.
    pub fn push_property(&mut self, p: Property) {
        self.properties.push(p);
    }

    /// Replaces the first property of the same name in place (removing any later ones of that
    /// name, in one pass), or appends it.
    pub fn set_property(&mut self, p: Property) {
        let name = p.name().to_owned();
        if let Some(pos) = self.properties.iter().position(|x| x.is(&name)) {
            let mut i = 0;
            self.properties.retain(|x| {
                let keep = i <= pos || !x.is(&name);
                i += 1;
                keep
            });
            if let Some(slot) = self.properties.get_mut(pos) {
                *slot = p;
            }
        } else {
            self.properties.push(p);
        }
    }

    /// Removes every property with this name; returns how many were removed.
    pub fn remove_properties(&mut self, name: &str) -> usize {
        let before = self.properties.len();
        self.properties.retain(|p| !p.is(name));
        before - self.properties.len()
    }

    /// Appends a sub-component.
    pub fn push_component(&mut self, c: Component) {
        self.components.push(c);
    }

    /// Appends the serialised component (CRLF, folded) to `out`.
    pub fn write_to(&self, out: &mut String) {
        fold_into(&format!("BEGIN:{}", self.name), out);
        for p in &self.properties {
            p.write_folded(out);
        }
        for c in &self.components {
            c.write_to(out);
        }
        fold_into(&format!("END:{}", self.name), out);
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write_to(&mut s);
        f.write_str(&s)
    }
}

/// Serialises several top-level components one after the other.
pub fn serialize(components: &[Component]) -> String {
    let mut out = String::new();
    for c in components {
        c.write_to(&mut out);
    }
    out
}
