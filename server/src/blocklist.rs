//! A website's blocklist of words: the matcher, and the per-node cache the send path reads
//! (no database read per message).
//!
//! A word matches a whole word of a message's text, case-insensitively (Unicode lower
//! case): `darn` matches "Darn!" and "oh DARN it", not "darned". Words are letters and
//! digits (1 to [`MAX_WORD_CHARS`]); the text is split at every other character. Changing a
//! website's list publishes [`crate::hub::Event::Blocklist`], which drops it from every
//! node's cache; entries also expire after [`TTL`] as a last resort.

use chatix_protocol::rest::BlocklistMode;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest word, in characters.
pub const MAX_WORD_CHARS: usize = 50;
/// Most words per website.
pub const MAX_WORDS: usize = 1_000;
/// Longest a cached list is trusted without being reloaded.
pub const TTL: Duration = Duration::from_secs(30);

/// A website's list, ready to match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    words: HashSet<String>,
    mode: BlocklistMode,
}

/// What [`Filter::apply`] made of a text.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing matched (or the matches were masked): the text to store.
    Pass(String),
    /// `reject` mode and a word matched: that word, as the text had it.
    Reject(String),
}

impl Filter {
    /// A filter of `words` (already checked) in `mode`.
    pub fn new(words: &[String], mode: BlocklistMode) -> Filter {
        Filter {
            words: words.iter().map(|w| w.to_lowercase()).collect(),
            mode,
        }
    }

    /// Matches `text`: in `mask` mode each blocked word's characters become `*`.
    pub fn apply(&self, text: &str) -> Verdict {
        if self.words.is_empty() {
            return Verdict::Pass(text.to_owned());
        }
        let mut out = String::with_capacity(text.len());
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| -> Option<String> {
            if word.is_empty() {
                return None;
            }
            let hit = self.words.contains(&word.to_lowercase());
            if hit && self.mode == BlocklistMode::Reject {
                return Some(std::mem::take(word));
            }
            if hit {
                out.extend(word.chars().map(|_| '*'));
            } else {
                out.push_str(word);
            }
            word.clear();
            None
        };
        for c in text.chars() {
            if c.is_alphanumeric() {
                word.push(c);
                continue;
            }
            if let Some(w) = flush(&mut word, &mut out) {
                return Verdict::Reject(w);
            }
            out.push(c);
        }
        match flush(&mut word, &mut out) {
            Some(w) => Verdict::Reject(w),
            None => Verdict::Pass(out),
        }
    }
}

/// Checks a list: trimmed words of letters and digits, 1 to [`MAX_WORD_CHARS`] characters,
/// at most [`MAX_WORDS`]; duplicates (in any case) kept once. The error names the word.
pub fn check_words(words: &[String]) -> Result<Vec<String>, String> {
    if words.len() > MAX_WORDS {
        return Err(format!(
            "words: at most {MAX_WORDS} words, got {}",
            words.len()
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for w in words {
        let t = w.trim();
        let n = t.chars().count();
        if n == 0 || n > MAX_WORD_CHARS || !t.chars().all(char::is_alphanumeric) {
            return Err(format!(
                "words: {w:?} is not a word of 1 to {MAX_WORD_CHARS} letters or digits"
            ));
        }
        if seen.insert(t.to_lowercase()) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

/// What [`Cache`] holds: a generation, bumped by each invalidation (a load that raced with
/// one is not kept), and website → its filter (`None`: no list) and when it was loaded.
#[derive(Default)]
struct Held {
    generation: u64,
    lists: HashMap<String, (Option<Arc<Filter>>, Instant)>,
}

/// The per-node cache of websites' filters.
#[derive(Default)]
pub struct Cache {
    inner: Mutex<Held>,
}

impl Cache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// The website's filter if held and fresh (`Some(None)`: known to have none).
    pub fn get(&self, website: &str) -> Option<Option<Arc<Filter>>> {
        let g = self.lock();
        let (f, at) = g.lists.get(website)?;
        (at.elapsed() < TTL).then(|| f.clone())
    }
    /// Taken before a load whose result will be [`Self::put`].
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }
    /// Keeps what a load started at `generation` found, unless something changed since.
    pub fn put(&self, generation: u64, website: &str, f: Option<Arc<Filter>>) {
        let mut g = self.lock();
        if g.generation == generation {
            g.lists.insert(website.to_owned(), (f, Instant::now()));
        }
    }
    /// Drops a website's list (`None`: every list).
    pub fn invalidate(&self, website: Option<&str>) {
        let mut g = self.lock();
        g.generation += 1;
        match website {
            Some(w) => {
                g.lists.remove(w);
            }
            None => g.lists.clear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn whole_words_match_in_any_case_and_mask_keeps_the_rest() {
        let f = Filter::new(&words(&["darn", "Mist"]), BlocklistMode::Mask);
        assert_eq!(
            f.apply("Darn! oh DARN it, darned mist."),
            Verdict::Pass("****! oh **** it, darned ****.".into())
        );
        assert_eq!(f.apply("fine"), Verdict::Pass("fine".into()));
        let r = Filter::new(&words(&["darn"]), BlocklistMode::Reject);
        assert_eq!(r.apply("well, DARN"), Verdict::Reject("DARN".into()));
        assert_eq!(r.apply("darned"), Verdict::Pass("darned".into()));
        let u = Filter::new(&words(&["ÉCOLE"]), BlocklistMode::Mask);
        assert_eq!(u.apply("l'école"), Verdict::Pass("l'*****".into()));
    }

    #[test]
    fn a_list_is_checked_word_by_word() {
        assert_eq!(
            check_words(&words(&[" darn ", "DARN", "x1"])),
            Ok(words(&["darn", "x1"]))
        );
        for bad in ["", "two words", "a-b", &"x".repeat(51)] {
            let e = check_words(&words(&[bad])).unwrap_err();
            assert!(e.contains("not a word"), "{e}");
        }
        assert!(check_words(&vec!["a".to_string(); 1001]).is_err());
    }
}
