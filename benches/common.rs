//! Bench inputs: generated from a fixed seed, so `cargo bench` works on a fresh clone.

#![allow(dead_code)]

use paradup::SplitMix64;

/// Words with an English-like length distribution, drawn from a fixed vocabulary.
const VOCAB: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "that",
    "he",
    "was",
    "it",
    "his",
    "her",
    "with",
    "as",
    "had",
    "for",
    "you",
    "not",
    "be",
    "on",
    "at",
    "by",
    "which",
    "have",
    "from",
    "this",
    "but",
    "all",
    "were",
    "they",
    "she",
    "said",
    "one",
    "would",
    "there",
    "their",
    "been",
    "upon",
    "could",
    "what",
    "when",
    "who",
    "them",
    "into",
    "more",
    "man",
    "little",
    "great",
    "before",
    "should",
    "might",
    "himself",
    "through",
    "nothing",
    "against",
    "thought",
    "another",
    "together",
    "believe",
    "everything",
    "afterwards",
    "gentleman",
    "extraordinary",
    "conversation",
    "understanding",
    "circumstances",
    "Mrs.",
    "Mr.",
    "“Indeed,”",
    "don’t",
];

/// `count` paragraphs of about `words` words each, deterministic.
pub fn paragraphs(count: usize, words: usize, seed: u64) -> Vec<String> {
    let mut g = SplitMix64::new(seed);
    (0..count)
        .map(|_| {
            let n = words / 2 + (g.next_u64() as usize % words.max(1));
            let mut p = String::new();
            for i in 0..n {
                if i > 0 {
                    p.push(' ');
                }
                p.push_str(VOCAB[g.next_u64() as usize % VOCAB.len()]);
                if g.next_u64().is_multiple_of(11) {
                    p.push(',');
                }
            }
            p.push('.');
            p
        })
        .collect()
}

/// A corpus of `count` paragraphs where every tenth one is a light edit of an earlier
/// one (one word replaced), joined with blank lines.
pub fn corpus_with_near_duplicates(count: usize, seed: u64) -> (String, usize) {
    let mut paras = paragraphs(count, 80, seed);
    let mut g = SplitMix64::new(seed ^ 1);
    let mut planted = 0;
    for i in (10..count).step_by(10) {
        let src = g.next_u64() as usize % i;
        let mut words: Vec<String> = paras[src].split(' ').map(str::to_string).collect();
        let at = g.next_u64() as usize % words.len();
        words[at] = "changed".to_string();
        paras[i] = words.join(" ");
        planted += 1;
    }
    (paras.join("\n\n"), planted)
}

/// A duplicate-heavy corpus, one paragraph per item, as on web crawls: `base`
/// paragraphs, each followed somewhere later by `copies` near-copies of it (one
/// word replaced by a word of another paragraph), in a shuffled order. Returns
/// the paragraphs and `base * copies`, the number of near-copies.
pub fn duplicate_heavy(base: usize, copies: usize, seed: u64) -> (Vec<String>, usize) {
    let originals = paragraphs(base, 80, seed);
    let mut g = SplitMix64::new(seed ^ 2);
    let mut paras = Vec::with_capacity(base * (copies + 1));
    for p in &originals {
        paras.push(p.clone());
        let words: Vec<&str> = p.split(' ').collect();
        for _ in 0..copies {
            let other = &originals[g.next_u64() as usize % base];
            let donor: Vec<&str> = other.split(' ').collect();
            let mut copy = words.clone();
            copy[g.next_u64() as usize % words.len()] = donor[g.next_u64() as usize % donor.len()];
            paras.push(copy.join(" "));
        }
    }
    // Fisher-Yates with the fixed generator: copies spread over the corpus.
    for i in (1..paras.len()).rev() {
        paras.swap(i, g.next_u64() as usize % (i + 1));
    }
    (paras, base * copies)
}
