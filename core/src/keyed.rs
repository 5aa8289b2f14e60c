//! A map from `String` keys to values of any type, kept as the values in a `Vec` (in the order
//! their keys were first inserted) and one `BTreeMap<String, usize>` index into it.
//!
//! Why not a `BTreeMap<String, T>`: every key and value type of a `BTreeMap` is its own copy of
//! the map's code (node search, insertion and splitting, balancing, iteration, drop) in the
//! WebAssembly modules, 3 to 10 KB each. Every [`Keyed`], whatever its value type, uses the same
//! `BTreeMap<String, usize>` (the type the formats crate indexes with too), so a map type more
//! costs only these few generic methods.
//!
//! Removal leaves a hole (the slot emptied, the key kept in the index) rather than removing
//! the key from the index: `BTreeMap::remove` would link the map's balancing code for the
//! index type, and the collections here are short-lived (one sync, one flush), with removals
//! bounded by what was inserted. A key inserted again fills its slot again. Iteration, in key
//! order as a `BTreeMap`'s, skips the holes.
//!
//! Each value is boxed, so that taking the values out in key order ([`IntoIter`]) frees them
//! one by one as a `BTreeMap`'s do, and only a pointer a slot is held until the end: inline
//! values (80 bytes a member of the sync's listing) in a `Vec` grown by doubling raised the
//! peak heap of a one-shot sync of 10,000 events by 0.7 MiB (5 %; `bench/benches/memory.rs`
//! with `DAVKIT_MEMORY_INPROC`), as the whole vector outlived the loop that moved the values
//! into the sync's changes.
//!
//! Operations are O(log n) (lookups, insertion; amortised for the `Vec`), iteration O(n).

use std::collections::BTreeMap;

/// Values by `String` key, iterated in key order (see the module docs).
pub(crate) struct Keyed<T> {
    index: BTreeMap<String, usize>,
    slots: Vec<Option<Box<T>>>,
}

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed {
            index: BTreeMap::new(),
            slots: Vec::new(),
        }
    }
}

impl<T> Keyed<T> {
    /// An empty map.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The value of `key`, if any.
    pub(crate) fn get(&self, key: &str) -> Option<&T> {
        let i = *self.index.get(key)?;
        self.slots.get(i)?.as_deref()
    }

    /// The value of `key` to change, if any.
    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut T> {
        let i = *self.index.get(key)?;
        self.slots.get_mut(i)?.as_deref_mut()
    }

    /// The slot of `key`, made (empty) when the key is new.
    fn slot(&mut self, key: String) -> &mut Option<Box<T>> {
        let next = self.slots.len();
        let i = *self.index.entry(key).or_insert(next);
        if i == next {
            self.slots.push(None);
        }
        &mut self.slots[i]
    }

    /// Sets the value of `key`, returning the one it replaces.
    pub(crate) fn insert(&mut self, key: String, value: T) -> Option<T> {
        self.slot(key).replace(Box::new(value)).map(|b| *b)
    }

    /// Sets the value of `key` to `make()` unless it has one.
    pub(crate) fn insert_if_absent(&mut self, key: String, make: impl FnOnce() -> T) {
        let slot = self.slot(key);
        if slot.is_none() {
            *slot = Some(Box::new(make()));
        }
    }

    /// Takes the value of `key` out, if any (its slot stays, empty: see the module docs).
    pub(crate) fn remove(&mut self, key: &str) -> Option<T> {
        let i = *self.index.get(key)?;
        self.slots.get_mut(i)?.take().map(|b| *b)
    }

    /// Drops every key and value.
    pub(crate) fn clear(&mut self) {
        self.index = BTreeMap::new();
        self.slots = Vec::new();
    }

    /// The keys and values, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &T)> {
        self.index
            .iter()
            .filter_map(|(k, &i)| Some((k, self.slots.get(i)?.as_deref()?)))
    }
}

impl<T> IntoIterator for Keyed<T> {
    type Item = (String, T);
    type IntoIter = IntoIter<T>;

    /// The keys and values, in key order, moved out.
    fn into_iter(self) -> IntoIter<T> {
        IntoIter {
            index: self.index.into_iter(),
            slots: self.slots,
        }
    }
}

/// The keys and values of a [`Keyed`], in key order, moved out.
pub(crate) struct IntoIter<T> {
    index: std::collections::btree_map::IntoIter<String, usize>,
    slots: Vec<Option<Box<T>>>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = (String, T);

    fn next(&mut self) -> Option<(String, T)> {
        loop {
            let (key, i) = self.index.next()?;
            if let Some(v) = self.slots.get_mut(i).and_then(Option::take) {
                return Some((key, *v));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Keyed;
    use std::collections::BTreeMap;

    /// Random operations on a `Keyed` and on a `BTreeMap` give the same answers and contents.
    #[test]
    fn behaves_as_a_btree_map() {
        let mut keyed: Keyed<u32> = Keyed::new();
        let mut map: BTreeMap<String, u32> = BTreeMap::new();
        let mut rng = davkit_testkit::Rng::new(13);
        for step in 0..20_000u32 {
            let key = format!("k{}", rng.below(300));
            match rng.below(7) {
                0 | 1 => assert_eq!(keyed.insert(key.clone(), step), map.insert(key, step)),
                2 => assert_eq!(keyed.remove(&key), map.remove(&key)),
                3 => {
                    keyed.insert_if_absent(key.clone(), || step);
                    map.entry(key).or_insert(step);
                }
                4 => {
                    if let (Some(a), Some(b)) = (keyed.get_mut(&key), map.get_mut(&key)) {
                        *a += 1;
                        *b += 1;
                    }
                    assert_eq!(keyed.get(&key), map.get(&key));
                }
                _ => assert_eq!(keyed.get(&key), map.get(&key)),
            }
            if step % 1_000 == 0 {
                assert!(keyed.iter().eq(map.iter()));
            }
            if step % 7_000 == 6_999 {
                keyed.clear();
                map.clear();
                assert_eq!(keyed.iter().count(), 0);
            }
        }
        assert!(keyed.iter().eq(map.iter()));
        assert!(keyed.into_iter().eq(map));
    }
}
