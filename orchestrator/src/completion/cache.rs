//! Suggestions kept by (text before, text after) hash, so returning to a place (or
//! undoing) shows its suggestion again without asking the model.

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};

use super::Suggestion;

/// How many suggestions are kept.
pub const CACHE_CAPACITY: usize = 256;

/// A bounded map from context hash to suggestion; the oldest entry goes first.
#[derive(Debug, Default)]
pub struct SuggestionCache {
    map: HashMap<u64, Suggestion>,
    order: VecDeque<u64>,
}

/// The key of a context: a hash of the text before and after the cursor.
pub fn key(before: &str, after: &str) -> u64 {
    let mut h = DefaultHasher::new();
    before.hash(&mut h);
    after.hash(&mut h);
    h.finish()
}

impl SuggestionCache {
    /// The suggestion kept for `key`.
    pub fn get(&self, key: u64) -> Option<&Suggestion> {
        self.map.get(&key)
    }

    /// Keeps `suggestion` for `key`, dropping the oldest beyond [`CACHE_CAPACITY`].
    pub fn insert(&mut self, key: u64, suggestion: Suggestion) {
        if self.map.insert(key, suggestion).is_none() {
            self.order.push_back(key);
        }
        while self.order.len() > CACHE_CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_where_the_cursor_splits_and_the_oldest_goes_first() {
        assert_ne!(key("ab", "c"), key("a", "bc"));
        let mut c = SuggestionCache::default();
        for i in 0..CACHE_CAPACITY + 1 {
            c.insert(i as u64, Suggestion::default());
        }
        assert_eq!(c.len(), CACHE_CAPACITY);
        assert!(c.get(0).is_none());
        assert!(c.get(CACHE_CAPACITY as u64).is_some());
    }
}
