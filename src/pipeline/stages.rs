//! Building blocks for running paradup on your own engine: the stages of
//! [`Deduper::run_documents`] as functions of batches of plain data (integers, vectors of them,
//! [`Paragraph`]s), which a driver may compute on any machine and move between
//! processes.
//!
//! | stage | function | input | output |
//! |---|---|---|---|
//! | 1. split | [`Stages::split`] | one document | its paragraphs |
//! | 2–3. prepare | [`Stages::prepare`] | a batch of paragraph texts | exact keys, band keys or fingerprints ([`Prepared`]) |
//! | exact duplicates | [`Stages::number_texts`] | every exact key, in paragraph order | distinct texts ([`Texts`]) |
//! | 4. candidates | [`Stages::band_candidates`] (or [`Stages::bucket_candidates`]), [`Stages::fingerprint_candidates`] | one band's `(key, text)` rows (one bucket's texts); the fingerprints | pairs of texts |
//! | | [`Stages::sort_candidates`] | every band's pairs | the candidate pairs |
//! | 5. verify | [`Stages::shingle_set`], [`Stages::verify`] | a text; two sets | a set; the similarity, if it passes |
//! | 6. cluster | [`Stages::cluster`] | paragraphs, texts, pairs, sets | [`Clusters`] |
//!
//! Paragraphs are numbered in corpus order (document by document) and distinct texts
//! in order of first occurrence; with those numbers the stages give exactly
//! [`Deduper::run_documents`]'s clusters, whatever the batches (the example below, and
//! `tests/integration/stages.rs`). [`Deduper::run_documents`], [`Deduper::run_stream`] and its
//! disk mode are drivers of the same stage functions, with storage of their own.
//!
//! The stages cover what [`Deduper::run_stream`] streams without a memory limit, with
//! exact verification: [`Method::MinHash`] with Jaccard, and
//! [`Method::SimHash`]; [`Deduper::stages`] refuses the rest.
//!
//! ```
//! use paradup::Deduper;
//!
//! let docs = [
//!     "The cat sat on the mat and looked out of the window at the rain.\nA dog barked.",
//!     "Another story.\nThe cat sat on the mat and looked out of the window at the snow.",
//!     "A dog barked.",
//! ];
//! let deduper = Deduper::new();
//! let stages = deduper.stages()?;
//!
//! // Two batches, prepared apart (on two machines, say): the first two documents and
//! // the third.
//! let (mut paragraphs, mut exact, mut live, mut keys) = (vec![], vec![], vec![], vec![]);
//! for batch in [&docs[..2], &docs[2..]] {
//!     let first_doc = paragraphs.last().map_or(0, |p: &paradup::Paragraph| p.doc + 1);
//!     let mut texts = Vec::new();
//!     for (i, doc) in batch.iter().enumerate() {
//!         for p in stages.split(first_doc + i as u32, doc) {
//!             texts.push(p.text(doc));
//!             paragraphs.push(p);
//!         }
//!     }
//!     let prepared = stages.prepare(&texts);
//!     exact.extend(prepared.exact);
//!     live.extend(prepared.live);
//!     keys.extend(prepared.band_keys);
//! }
//!
//! // Exact duplicates over the corpus; the band rows of the distinct live texts.
//! let texts = stages.number_texts(&exact);
//! let bands = stages.bands();
//! let mut pairs = Vec::new();
//! for band in 0..bands {
//!     let mut rows: Vec<(u64, u32)> = (0..texts.len() as u32)
//!         .map(|c| (c, texts.first[c as usize] as usize))
//!         .filter(|&(_, p)| live[p])
//!         .map(|(c, p)| (keys[p * bands + band], c))
//!         .collect();
//!     pairs.extend(stages.band_candidates(&mut rows));
//! }
//! let candidates = stages.sort_candidates(pairs);
//!
//! // The shingle sets of the texts in candidate pairs, from their first paragraph.
//! let text_of = |c: u32| {
//!     let p = paragraphs[texts.first[c as usize] as usize];
//!     p.text(docs[p.doc as usize])
//! };
//! let mut ids: Vec<u32> = candidates.iter().flat_map(|&(a, b)| [a, b]).collect();
//! ids.sort_unstable();
//! ids.dedup();
//! let sets = ids.iter().map(|&c| (c, stages.shingle_set(text_of(c)))).collect();
//!
//! let clusters = stages.cluster(docs.len(), &paragraphs, &texts, candidates, sets)?;
//! assert_eq!(clusters, deduper.run_documents(&docs)); // equal but for the timings
//! assert_eq!(clusters.len(), 2); // the cat, and the dog
//! # Ok::<(), paradup::Error>(())
//! ```

use super::assemble::{Evidence, Found, SetArena};
use super::candidates::{band_pairs, bucket_candidates, hamming_edges, sort_pairs};
use super::{CandidateSearch, Deduper, Method, MinHashScratch, Verification, exact};
use crate::cluster::{Adjacency, Clusters, StageTimings, split_chains};
use crate::error::{ErrorKind, Result};
use crate::paragraph::Paragraph;
use crate::simhash::SimHashScratch;
use crate::similarity::Similarity;
use crate::text::shingle::intersection_len;
use rayon::prelude::*;
use std::time::Instant;

/// The stages of one [`Deduper`], to drive by hand (see the [module docs](self)).
/// Cheap to copy; every function runs on the deduper's thread pool when it has one.
#[derive(Clone, Copy, Debug)]
pub struct Stages<'d> {
    d: &'d Deduper,
}

/// What [`Stages::prepare`] finds for a batch of paragraphs, in batch order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Prepared {
    /// The exact key of each paragraph: 128 bits of xxh3 of its normalized text (of
    /// its trimmed raw text when normalization leaves nothing). Equal keys, equal texts.
    pub exact: Vec<u128>,
    /// Whether each paragraph has shingles (SimHash: features). One without is never a
    /// candidate, only an exact duplicate.
    pub live: Vec<bool>,
    /// With MinHash: [`Stages::bands`] LSH band keys per paragraph, paragraph by
    /// paragraph (those of a paragraph without shingles mean nothing).
    pub band_keys: Vec<u64>,
    /// With SimHash: the 64-bit fingerprint of each paragraph.
    pub fingerprints: Vec<u64>,
}

/// The distinct texts of a corpus from its exact keys ([`Stages::number_texts`]):
/// numbered in order of first occurrence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Texts {
    /// The distinct text of each paragraph.
    pub text_of: Vec<u32>,
    /// The first paragraph of each distinct text.
    pub first: Vec<u32>,
}

impl Texts {
    /// The number of distinct texts.
    pub fn len(&self) -> usize {
        self.first.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }
}

impl Deduper {
    /// This deduper's stages, to run it on an engine of your own (see
    /// [`stages`](crate::pipeline::stages)).
    ///
    /// # Errors
    /// [`ErrorKind::StagesUnsupported`] for containment similarity, signature
    /// verification and the prefix-filter and exhaustive candidate searches.
    pub fn stages(&self) -> Result<Stages<'_>> {
        let unsupported = if self.similarity == Similarity::Containment {
            Some("containment similarity")
        } else if self.verification != Verification::Exact {
            Some("signature verification")
        } else if self.search != CandidateSearch::Lsh {
            Some("the prefix-filter and exhaustive candidate searches")
        } else {
            None
        };
        match unsupported {
            Some(what) => Err(ErrorKind::StagesUnsupported(what).into()),
            None => Ok(Stages { d: self }),
        }
    }

    /// Stage 2 of one paragraph: its normalized text into `buf`, and its exact key.
    pub(super) fn exact_key_into(&self, raw: &str, buf: &mut String) -> u128 {
        self.normalizer.normalize_into(raw, buf);
        crate::index::exact_key(buf, raw, self.shingler.seed())
    }
}

impl Stages<'_> {
    /// Stage 1: the paragraphs of document `doc`, with spans into `text`.
    pub fn split(&self, doc: u32, text: &str) -> Vec<Paragraph> {
        self.d.splitter.split(doc, text).collect()
    }

    /// The number of LSH bands, the band keys per paragraph of [`Prepared`] (0 with
    /// SimHash).
    pub fn bands(&self) -> usize {
        match self.d.method {
            Method::MinHash => self.d.lsh.bands,
            Method::SimHash { .. } => 0,
        }
    }

    /// Stages 2 and 3 of a batch of paragraph texts, in parallel: each one's exact
    /// key, and its band keys (MinHash) or fingerprint (SimHash).
    pub fn prepare<S: AsRef<str> + Sync>(&self, paragraphs: &[S]) -> Prepared {
        let (d, bands) = (self.d, self.bands());
        let mut out = Prepared {
            band_keys: vec![0; paragraphs.len() * bands],
            ..Prepared::default()
        };
        d.in_pool(|| match d.method {
            Method::MinHash => {
                let lsh = Some(d.lsh);
                (out.exact, out.live) = paragraphs
                    .par_iter()
                    .zip(out.band_keys.par_chunks_mut(bands.max(1)))
                    .map_init(
                        || (String::new(), MinHashScratch::default()),
                        |(buf, scratch), (raw, keys)| {
                            let key = d.exact_key_into(raw.as_ref(), buf);
                            let (live, _) = d.sketch_minhash(buf, false, lsh, scratch, None, keys);
                            (key, live)
                        },
                    )
                    .unzip();
            }
            Method::SimHash { .. } => {
                let (keys, rest): (Vec<u128>, Vec<(u64, bool)>) = paragraphs
                    .par_iter()
                    .map_init(
                        || (String::new(), SimHashScratch::default()),
                        |(buf, scratch), raw| {
                            let key = d.exact_key_into(raw.as_ref(), buf);
                            (key, d.fingerprint(buf, scratch))
                        },
                    )
                    .unzip();
                out.exact = keys;
                (out.fingerprints, out.live) = rest.into_iter().unzip();
            }
        });
        out
    }

    /// The distinct texts of a corpus from the exact key of every paragraph, in
    /// paragraph order.
    pub fn number_texts(&self, exact: &[u128]) -> Texts {
        let (text_of, first) = self.d.in_pool(|| exact::number_texts(&[exact]));
        Texts { text_of, first }
    }

    /// Stage 4 for one band: the candidate pairs among `rows`, the `(band key, text)`
    /// of every distinct live text (each text once; `rows` is reordered). Texts that
    /// share a key pair up by the bucket rule of [`bucket_candidates`](Self::bucket_candidates).
    pub fn band_candidates(&self, rows: &mut [(u64, u32)]) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        band_pairs(rows, &mut out);
        out
    }

    /// Stage 4 for one bucket, the texts that share one band key (any order): every
    /// pair `(lo, hi)` in a bucket of at most 16 texts, else each text with the
    /// smallest. The union over buckets is [`band_candidates`](Self::band_candidates)'s
    /// answer, for engines that group the rows by `(band, key)` themselves.
    pub fn bucket_candidates(&self, texts: &mut Vec<u32>) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        bucket_candidates(texts, &mut out);
        out
    }

    /// Stage 4 with SimHash: the candidate pairs among `rows`, the `(fingerprint,
    /// text)` of every distinct live text, sorted ([`sort_candidates`](Self::sort_candidates)).
    pub fn fingerprint_candidates(&self, rows: &[(u64, u32)]) -> Vec<(u32, u32)> {
        let Method::SimHash { max_hamming } = self.d.method else {
            return Vec::new();
        };
        let mut rows = rows.to_vec();
        rows.sort_unstable_by_key(|r| r.1);
        let fps: Vec<u64> = rows.iter().map(|r| r.0).collect();
        let pairs = self
            .d
            .in_pool(|| hamming_edges(max_hamming, &fps, |i| rows[i as usize].1));
        self.sort_candidates(pairs)
    }

    /// The candidate pairs of every band, sorted and without repeats: what
    /// [`cluster`](Self::cluster) takes.
    pub fn sort_candidates(&self, pairs: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
        self.d.in_pool(|| sort_pairs(pairs))
    }

    /// Stage 5: the shingle set (sorted hashes) of a paragraph's raw text.
    pub fn shingle_set(&self, paragraph: &str) -> Vec<u64> {
        let (mut scratch, mut set) = (super::Scratch::default(), Vec::new());
        self.d.shingle_set(paragraph, &mut scratch, &mut set);
        set
    }

    /// Stage 5: the similarity of two shingle sets if it reaches the threshold.
    pub fn verify(&self, a: &[u64], b: &[u64]) -> Option<f64> {
        let s = self
            .d
            .similarity
            .from_counts(intersection_len(a, b), a.len(), b.len());
        (s >= self.d.threshold).then_some(s)
    }

    /// Stage 6 for one connected group, for engines that find the connected groups
    /// themselves (Spark): `sets` are the shingle sets of the group's distinct texts in
    /// ascending text order (text `i` here is the `i`-th), `edges` the verified pairs
    /// among them. Returns the group's parts as [`cluster`](Self::cluster) makes them:
    /// with anti-chaining, each text in a part passes against the part's first text
    /// (its representative); without, one part. Each part lists `(text, similarity to
    /// the part's first text)`, ascending, the first with 1.0; parts by first text.
    /// A part of one text is a cluster only if that text has two paragraphs or more.
    ///
    /// ```
    /// let deduper = paradup::Deduper::new();
    /// let stages = deduper.stages()?;
    /// let texts = ["a b c d e f g h i j", "a b c d e f g h x y", "u v c d e f g h x y"];
    /// let sets: Vec<Vec<u64>> = texts.iter().map(|t| stages.shingle_set(t)).collect();
    /// // 0–1 and 1–2 pass (7 of 11 word pairs), 0–2 does not: the chain is cut at 2.
    /// let parts = stages.split_group(&sets, &[(0, 1), (1, 2)])?;
    /// assert_eq!(parts, vec![vec![(0, 1.0), (1, 7.0 / 11.0)], vec![(2, 1.0)]]);
    /// # Ok::<(), paradup::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidStageInput`] for an edge whose ends are not `lo < hi` below
    /// `sets.len()`.
    pub fn split_group(
        &self,
        sets: &[Vec<u64>],
        edges: &[(u32, u32)],
    ) -> Result<Vec<Vec<(u32, f64)>>> {
        let n = sets.len();
        if let Some(&(a, b)) = edges.iter().find(|&&(a, b)| a >= b || b as usize >= n) {
            return Err(invalid(format!(
                "edge ({a}, {b}): not lo < hi below {n} texts"
            )));
        }
        let similarity = |a: u32, b: u32| {
            let (x, y) = (&sets[a as usize], &sets[b as usize]);
            self.d
                .similarity
                .from_counts(intersection_len(x, y), x.len(), y.len())
        };
        let texts: Vec<u32> = (0..n as u32).collect();
        if !self.d.anti_chaining {
            let part = texts
                .iter()
                .map(|&c| (c, if c == 0 { 1.0 } else { similarity(0, c) }))
                .collect::<Vec<_>>();
            return Ok(if n == 0 { Vec::new() } else { vec![part] });
        }
        let adjacency = Adjacency::new(edges.iter().copied());
        let (parts, _) = split_chains(&texts, &adjacency, |rep, c| {
            let s = similarity(rep, c);
            (s, s >= self.d.threshold)
        });
        Ok(parts)
    }

    /// Stage 6: the clusters of `documents` documents whose `paragraphs` (in corpus
    /// order) have distinct `texts`, from the sorted candidate pairs and the shingle
    /// sets of the texts they involve (`(text, set)`, any order). Each pair is
    /// verified here, so the pairs that passed [`verify`](Self::verify) elsewhere may
    /// be given instead of all.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidStageInput`] when the parts do not fit together.
    pub fn cluster(
        &self,
        documents: usize,
        paragraphs: &[Paragraph],
        texts: &Texts,
        candidates: Vec<(u32, u32)>,
        mut sets: Vec<(u32, Vec<u64>)>,
    ) -> Result<Clusters> {
        let distinct = texts.len();
        check_texts(paragraphs.len(), texts)?;
        sets.sort_unstable_by_key(|s| s.0);
        let mut slot = vec![u32::MAX; distinct];
        for (i, &(c, _)) in sets.iter().enumerate() {
            match slot.get_mut(c as usize) {
                Some(at) if *at == u32::MAX => *at = i as u32,
                _ => return Err(invalid(format!("set of text {c}: unknown or given twice"))),
            }
        }
        let candidates = self.sort_candidates(candidates);
        for &(a, b) in &candidates {
            let known = |c: u32| slot.get(c as usize).is_some_and(|&s| s != u32::MAX);
            if a >= b || !known(a) || !known(b) {
                return Err(invalid(format!(
                    "candidate ({a}, {b}): not lo < hi with a set for each"
                )));
            }
        }
        let evidence = Evidence::Sets {
            slot,
            sets: SetArena::from_vecs(sets.into_iter().map(|s| s.1).collect()),
        };
        let found = Found {
            documents,
            paragraphs: &paragraphs,
            bytes: paragraphs.iter().map(Paragraph::len).sum(),
            canon_of: &texts.text_of,
            canon: &texts.first,
            edges: candidates,
            verified: None,
            sizes: &[],
        };
        let mut clock = Instant::now();
        let timings = StageTimings::default();
        Ok(self
            .d
            .in_pool(|| self.d.assemble(found, &evidence, timings, &mut clock, None)))
    }
}

fn invalid(what: String) -> crate::Error {
    ErrorKind::InvalidStageInput(what).into()
}

/// That `texts` numbers `n` paragraphs as [`Stages::number_texts`] would: each text's
/// first paragraph is of that text and comes before its other paragraphs, and texts
/// are numbered in order of first occurrence.
fn check_texts(n: usize, texts: &Texts) -> Result<()> {
    if texts.text_of.len() != n {
        return Err(invalid(format!(
            "{} text ids for {n} paragraphs",
            texts.text_of.len()
        )));
    }
    let mut next = 0u32;
    for (p, &c) in texts.text_of.iter().enumerate() {
        let first = texts.first.get(c as usize).copied();
        if c > next
            || first.is_none_or(|f| f as usize > p)
            || (c == next) != (first == Some(p as u32))
        {
            return Err(invalid(format!(
                "paragraph {p}: text {c} out of order or without its first paragraph"
            )));
        }
        next += u32::from(c == next);
    }
    if next as usize != texts.first.len() {
        return Err(invalid(format!(
            "{} distinct texts, {next} of them with paragraphs",
            texts.first.len()
        )));
    }
    Ok(())
}
