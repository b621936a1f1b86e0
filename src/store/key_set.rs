//! A set of strings kept in one buffer.
//!
//! An import batch remembers which message keys, references and buyers it read from the
//! store (about 30,000 strings per batch). As a `HashSet<String>` that was 30,000 allocations
//! a batch, and with their page faults and hashing an eighth of the writer's time; here it is
//! one growing buffer and a table of where each string starts.

use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use hashbrown::HashTable;

#[derive(Default)]
pub struct KeySet {
    text: String,
    /// Where each string is in `text`: start and length.
    table: HashTable<(usize, usize)>,
    hasher: RandomState,
}

impl KeySet {
    pub fn insert(&mut self, key: &str) {
        let KeySet {
            text,
            table,
            hasher,
        } = self;
        let hash = hasher.hash_one(key);
        if table
            .find(hash, |&(start, len)| &text[start..start + len] == key)
            .is_some()
        {
            return;
        }
        let start = text.len();
        text.push_str(key);
        table.insert_unique(hash, (start, key.len()), |&(start, len)| {
            hasher.hash_one(&text[start..start + len])
        });
    }

    pub fn contains(&self, key: &str) -> bool {
        self.table
            .find(self.hasher.hash_one(key), |&(start, len)| {
                &self.text[start..start + len] == key
            })
            .is_some()
    }

    /// Every string, once each, sorted.
    pub fn sorted(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self
            .table
            .iter()
            .map(|&(start, len)| &self.text[start..start + len])
            .collect();
        all.sort_unstable();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_each_string_once_and_only_those() {
        let mut set = KeySet::default();
        for key in ["b@x", "a@x", "", "b@x", "ab@x", "a", "b@x"] {
            set.insert(key);
        }
        assert_eq!(set.sorted().len(), 5);
        assert_eq!(set.sorted(), vec!["", "a", "a@x", "ab@x", "b@x"]);
        for key in ["", "a", "a@x", "ab@x", "b@x"] {
            assert!(set.contains(key), "{key}");
        }
        for key in ["b", "x", "a@", "@x", "ab", "b@x "] {
            assert!(!set.contains(key), "{key}");
        }
    }

    #[test]
    fn stays_right_as_it_grows() {
        let mut set = KeySet::default();
        for i in 0..20_000 {
            set.insert(&format!("m{i}@example.test"));
        }
        assert_eq!(set.sorted().len(), 20_000);
        assert!((0..20_000).all(|i| set.contains(&format!("m{i}@example.test"))));
        assert!(!set.contains("m20000@example.test"));
    }
}
