//! [`Deduper::run`] and [`Deduper::run_documents`]: the paragraphs or documents in
//! memory, through the stages in one process.

use super::assemble::{Evidence, Found, SetArena};
use super::candidates::{
    BandBuckets, band_pairs, hamming_edges, involved, pairs_by_text, sort_pairs, union_of_bands,
};
use super::{
    CandidateSearch, Deduper, Method, MinHashScratch, PerThread, Scratch, Sketches, Verification,
    exact, lap,
};
use crate::cluster::{Clusters, StageTimings};
use crate::error::{ErrorKind, Result};
use crate::lsh::banded::{SharedKeys, band_key};
use crate::paragraph::{Paragraph, ParagraphMode, ParagraphSplitter};
use crate::prefix_filter::{PrefixFilter, PrefixFilterScratch};
use crate::progress::{Progress, Stage, Tally};
use crate::simhash::SimHashScratch;
use crate::similarity::Similarity;
use crate::text::shingle::ShingleScratch;
use rayon::prelude::*;
use std::time::Instant;

/// Distinct texts whose shingle sets one task makes for verification.
const SETS_PER_TASK: usize = 256;

/// Paragraphs normalized per task in the exact-duplicate stage.
const NORM_CHUNK: usize = 1024;

/// Paragraphs per block of the band keys (one chunk of the exact-duplicate stage),
/// which are stored band-major within a block ([`band_key_at`]), so that the
/// candidate search reads each band's keys in runs. Text-major keys
/// (`band_keys[c * bands + band]`) were slower: a cache miss per key there.
const KEY_BLOCK: usize = NORM_CHUNK;

/// The line breaks (`\n`) in `text`, whose paragraphs (spans relative to it) are
/// `paras`: the lines before the last paragraph, known from its line number, and the
/// breaks counted from its start on. Counting all of `text` instead was a pass over
/// the whole corpus for the line numbers of the next piece. Tested against
/// [`crate::feed::newlines`] of all of `text`.
fn piece_lines(text: &str, paras: &[Paragraph]) -> u64 {
    match paras.last() {
        // Its first line is line `p.line`, after `p.line - 1` breaks.
        Some(p) => p.line - 1 + crate::feed::newlines(&text.as_bytes()[p.start..]),
        None => crate::feed::newlines(text.as_bytes()),
    }
}

/// Stores the band keys `keys` of the `i`-th item of a block of `len` items of the
/// layout read by [`band_key_at`].
#[inline]
fn store_band_keys(block: &mut [u64], len: usize, i: usize, keys: &[u64]) {
    for (b, &key) in keys.iter().enumerate() {
        block[b * len + i] = key;
    }
}

/// The key of band `band` of item `i` in `keys`: `len` items with `bands` keys each,
/// in blocks of [`KEY_BLOCK`] items (the last one shorter), each block band-major.
#[inline]
fn band_key_at(keys: &[u64], len: usize, bands: usize, band: usize, i: usize) -> u64 {
    let start = i / KEY_BLOCK * KEY_BLOCK;
    let block_len = KEY_BLOCK.min(len - start);
    keys[start * bands + band * block_len + (i - start)]
}

/// One task's output of the exact-duplicate stage: (exact key, paragraph id) per
/// paragraph, and either the normalized texts end to end and where each ends, or
/// (when the band keys are made in that stage) whether each paragraph has shingles.
type NormalizedChunk = (Vec<u128>, String, Vec<u32>, Vec<bool>);

/// The items of an input as borrowed strings: the run reads them by index, in
/// parallel, so any iterator is collected once (two pointers per item).
fn borrowed<I: AsRef<str>>(items: &[I]) -> Vec<&str> {
    items.iter().map(AsRef::as_ref).collect()
}

/// Every item of [`Deduper::run`] is one paragraph: `Whole` makes it one (blank lines
/// around it aside) without looking at its lines.
const ONE_PARAGRAPH: ParagraphSplitter = ParagraphSplitter::new(ParagraphMode::Whole);

impl Deduper {
    /// Finds the near-duplicate paragraphs among `paragraphs`: **each item is one
    /// paragraph**, never split (its [`Paragraph`] has `doc` = the item's index,
    /// `index` 0, and spans the item but for blank lines before and after it; a blank
    /// item has no paragraph). For documents to be split into paragraphs (with the
    /// builder's [`ParagraphMode`]), use [`run_documents`](Self::run_documents).
    ///
    /// The entry points, each with a `try_` twin that returns an error instead of
    /// panicking:
    ///
    /// | input | plain | with [`Progress`] |
    /// |---|---|---|
    /// | paragraphs | [`run`](Self::run), [`try_run`](Self::try_run) | [`try_run_with_progress`](Self::try_run_with_progress) |
    /// | documents | [`run_documents`](Self::run_documents), [`try_run_documents`](Self::try_run_documents) | [`try_run_documents_with_progress`](Self::try_run_documents_with_progress) |
    /// | documents from a reader | [`run_stream`](Self::run_stream) | [`run_stream_with_progress`](Self::run_stream_with_progress) |
    ///
    /// A hard-wrapped paragraph stays one paragraph:
    ///
    /// ```
    /// let paragraphs = vec![
    ///     "His isolation was evident from his failure to turn up to this\n\
    ///      weekend's G20 summit in Delhi, and fewer African leaders recently\n\
    ///      attending a summit in St Petersburg than a similar gathering in 2019.".to_string(),
    ///     "Something else entirely.".to_string(),
    ///     "His isolation was evident from his failure to turn up to the G20\n\
    ///      summit in Delhi, and fewer African leaders attending a summit in St\n\
    ///      Petersburg than a similar gathering in 2019.".to_string(),
    /// ];
    /// let clusters = paradup::Deduper::new().run(&paragraphs);
    /// assert_eq!(clusters.len(), 1);
    /// let items: Vec<u32> = clusters[0].members().iter().map(|m| m.paragraph.doc).collect();
    /// assert_eq!(items, [0, 2]);
    /// ```
    ///
    /// # Panics
    /// If there are more than `u32::MAX` paragraphs; [`try_run`](Self::try_run)
    /// returns an error instead.
    pub fn run<I>(&self, paragraphs: I) -> Clusters
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.try_run(paragraphs)
            .expect("input too large for u32 ids")
    }

    /// [`run`](Self::run), returning an error for inputs too large for `u32` ids.
    pub fn try_run<I>(&self, paragraphs: I) -> Result<Clusters>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let items: Vec<I::Item> = paragraphs.into_iter().collect();
        self.try_run_observed(&borrowed(&items), &ONE_PARAGRAPH, None)
    }

    /// [`try_run`](Self::try_run), updating `progress` as it goes (read it from another
    /// thread to show progress; see [`Progress`]). The result is the same.
    pub fn try_run_with_progress<I>(&self, paragraphs: I, progress: &Progress) -> Result<Clusters>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let items: Vec<I::Item> = paragraphs.into_iter().collect();
        self.try_run_observed(&borrowed(&items), &ONE_PARAGRAPH, Some(progress))
    }

    /// Finds the near-duplicate paragraphs of `documents`, each split into paragraphs
    /// by the builder's [`ParagraphMode`] ([`DeduperBuilder::paragraphs`](crate::DeduperBuilder::paragraphs);
    /// `Auto` by default). Document ids are the items' indices.
    ///
    /// The seed article, one paragraph per line, gives lines 10 and 11:
    ///
    /// ```
    /// let article = include_str!("../../tests/data/putin-kim-article.txt");
    /// let clusters = paradup::Deduper::new().run_documents([article]);
    /// let lines: Vec<u64> = clusters[0].members().iter().map(|m| m.paragraph.line).collect();
    /// assert_eq!((clusters.len(), lines), (1, vec![10, 11]));
    /// ```
    ///
    /// # Panics
    /// If there are more than `u32::MAX` documents or paragraphs;
    /// [`try_run_documents`](Self::try_run_documents) returns an error instead.
    pub fn run_documents<I>(&self, documents: I) -> Clusters
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        self.try_run_documents(documents)
            .expect("input too large for u32 ids")
    }

    /// [`run_documents`](Self::run_documents), returning an error for inputs too large
    /// for `u32` ids.
    pub fn try_run_documents<I>(&self, documents: I) -> Result<Clusters>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let items: Vec<I::Item> = documents.into_iter().collect();
        self.try_run_observed(&borrowed(&items), &self.splitter, None)
    }

    /// [`try_run_documents`](Self::try_run_documents), updating `progress` as it goes
    /// (read it from another thread to show progress; see [`Progress`]). The result is
    /// the same.
    pub fn try_run_documents_with_progress<I>(
        &self,
        documents: I,
        progress: &Progress,
    ) -> Result<Clusters>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let items: Vec<I::Item> = documents.into_iter().collect();
        self.try_run_observed(&borrowed(&items), &self.splitter, Some(progress))
    }

    fn try_run_observed(
        &self,
        documents: &[&str],
        splitter: &ParagraphSplitter,
        progress: Option<&Progress>,
    ) -> Result<Clusters> {
        let result = self.in_pool(|| self.run_inner(documents, splitter, progress));
        if let Some(p) = progress {
            p.enter(Stage::Done, 0);
        }
        result
    }

    fn run_inner<S: AsRef<str> + Sync>(
        &self,
        documents: &[S],
        splitter: &ParagraphSplitter,
        progress: Option<&Progress>,
    ) -> Result<Clusters> {
        if u32::try_from(documents.len()).is_err() {
            return Err(ErrorKind::TooManyDocuments(documents.len()).into());
        }
        let cancelled = || progress.is_some_and(Progress::is_cancelled);
        // Each stage starts only if the run was not cancelled; a stage under way skips
        // its remaining work when it is (`Progress::cancel`).
        let enter = |stage: Stage, total: usize| {
            if cancelled() {
                return Err(crate::Error::from(ErrorKind::Cancelled));
            }
            if let Some(p) = progress {
                p.enter(stage, total as u64);
            }
            Ok(())
        };
        enter(Stage::Paragraphs, documents.len())?;
        let mut timings = StageTimings::default();
        let mut clock = Instant::now();

        // 1. Paragraphs, in document order.
        let paragraphs = self.split_all(documents, splitter);
        if u32::try_from(paragraphs.len()).is_err() {
            return Err(ErrorKind::TooManyParagraphs(paragraphs.len()).into());
        }
        let n = paragraphs.len();
        timings.paragraphs = lap(&mut clock);
        if let Some(p) = progress {
            p.set_paragraphs(n as u64);
        }

        // 2. Exact duplicates by 128-bit hash of the normalized text.
        enter(Stage::Exact, n)?;
        let mut norm = self.exact_stage(documents, &paragraphs, progress);
        let distinct = norm.canon.len();
        timings.exact = lap(&mut clock);

        // 3. Signatures of distinct texts.
        enter(Stage::Signatures, distinct)?;
        let mut sketches = self.sketch_stage(&mut norm, progress);
        timings.signatures = lap(&mut clock);

        // 4. Candidate pairs of distinct texts (indices into `canon`), (lo, hi).
        enter(Stage::Candidates, 0)?;
        let (edges, all_sets) = self.candidate_stage(&sketches, &norm, n);
        // The normalized texts go before verification, which renormalizes the few
        // texts in candidate pairs, which lowers the peak memory.
        let Normalized {
            canon_of, canon, ..
        } = norm;
        timings.candidates = lap(&mut clock);

        // 5. Verification and 6. clusters.
        enter(Stage::Verify, 0)?;
        let sets = match self.verification {
            Verification::Exact => Some(match all_sets {
                Some(sets) => sets,
                None => self.exact_sets(documents, &paragraphs, &edges, &canon, &mut sketches),
            }),
            Verification::Signature => None,
        };
        let evidence = evidence(sets, &sketches);
        let sizes: &[u32] = match &sketches {
            Sketches::MinHash { sizes, .. } => sizes,
            Sketches::SimHash { .. } => &[],
        };
        let found = Found {
            documents: documents.len(),
            paragraphs: &paragraphs,
            bytes: paragraphs.iter().map(Paragraph::len).sum(),
            canon_of: &canon_of,
            canon: &canon,
            edges,
            verified: None,
            sizes,
        };
        let clusters = self.assemble(found, &evidence, timings, &mut clock, progress);
        if cancelled() {
            return Err(ErrorKind::Cancelled.into());
        }
        Ok(clusters)
    }

    /// Stage 5's shingle sets of the texts in candidate pairs `edges`, from the raw
    /// text of their first paragraph (`canon`). The band keys are not read past the
    /// candidates; freeing them (26 MB on the 48 MB corpus) at the end of the run left
    /// one of two threads idle: they go while the sets are made.
    fn exact_sets<S: AsRef<str> + Sync>(
        &self,
        documents: &[S],
        paragraphs: &[Paragraph],
        edges: &[(u32, u32)],
        canon: &[u32],
        sketches: &mut Sketches,
    ) -> SlotSets {
        let band_keys = match sketches {
            Sketches::MinHash { band_keys, .. } => std::mem::take(band_keys),
            Sketches::SimHash { .. } => Vec::new(),
        };
        let text = |p: u32| {
            let p = &paragraphs[p as usize];
            p.text(documents[p.doc as usize].as_ref())
        };
        rayon::join(
            || drop(band_keys),
            || self.involved_sets(edges, canon.len(), canon, text),
        )
        .1
    }

    /// Stage 2: every paragraph normalized and keyed, in chunks of [`NORM_CHUNK`] in
    /// parallel; the distinct texts numbered.
    ///
    /// The normalized texts are kept (about the corpus's size again, until the
    /// candidates are found) for the signature stage, so that it does not normalize
    /// every distinct text a second time. With MinHash, banded LSH and exact
    /// verification (the defaults), the candidate search reads only band keys: those
    /// are made here, of every paragraph while its normalized text is at hand, and no
    /// normalized text is kept. The exact duplicates' keys are wasted work (8,627 of
    /// 173,915 paragraphs of the 48 MB corpus), but cost less than copying the
    /// normalized texts into the chunks' buffers, page faults included.
    fn exact_stage<S: AsRef<str> + Sync>(
        &self,
        documents: &[S],
        paragraphs: &[Paragraph],
        progress: Option<&Progress>,
    ) -> Normalized {
        let keys_only = matches!(self.method, Method::MinHash)
            && self.search == CandidateSearch::Lsh
            && self.similarity != Similarity::Containment
            && self.verification == Verification::Exact;
        let (n, bands) = (paragraphs.len(), self.lsh.bands);
        let mut para_keys = vec![0u64; if keys_only { n * bands } else { 0 }];
        let init = || {
            let scratch = (MinHashScratch::default(), vec![0u64; bands]);
            (String::new(), Tally::default(), scratch)
        };
        let text = |p: &Paragraph| p.text(documents[p.doc as usize].as_ref());
        let normalize = |state: &mut ChunkState, chunk: &[Paragraph], block| {
            self.normalize_chunk(state, chunk, &text, block, progress)
        };
        let mut chunks: Vec<NormalizedChunk> = if keys_only {
            paragraphs
                .par_chunks(NORM_CHUNK)
                .zip(para_keys.par_chunks_mut((bands * KEY_BLOCK).max(1)))
                // One chunk per task: rayon's own splitting left a quarter of the
                // stage as one task, and one thread idle at its end.
                .with_max_len(1)
                .map_init(init, |s, (chunk, block)| normalize(s, chunk, Some(block)))
                .collect()
        } else {
            paragraphs
                .par_chunks(NORM_CHUNK)
                .with_max_len(1)
                .map_init(init, |s, chunk| normalize(s, chunk, None))
                .collect()
        };
        let (canon_of, canon) = {
            let parts: Vec<&[u128]> = chunks.iter().map(|c| c.0.as_slice()).collect();
            exact::number_texts(&parts)
        };
        for (keys, _, _, _) in &mut chunks {
            *keys = Vec::new();
        }
        Normalized {
            chunks,
            para_keys,
            canon_of,
            canon,
            keys_only,
        }
    }

    /// Normalizes the paragraphs `chunk` and keys them; with `block`, their band keys
    /// go there ([`store_band_keys`]) instead of their normalized texts into the chunk.
    fn normalize_chunk<'t>(
        &self,
        (buf, tally, (scratch, row)): &mut ChunkState,
        chunk: &[Paragraph],
        text: &(impl Fn(&Paragraph) -> &'t str + Sync),
        mut block: Option<&mut [u64]>,
        progress: Option<&Progress>,
    ) -> NormalizedChunk {
        let mut keys = Vec::with_capacity(chunk.len());
        let (mut arena, mut ends, mut live) = (String::new(), Vec::new(), Vec::new());
        if block.is_some() {
            live.reserve_exact(chunk.len());
        } else {
            // Normalizing rarely lengthens text (a ligature, ß → ss).
            let raw_len: usize = chunk.iter().map(Paragraph::len).sum();
            arena.reserve_exact(raw_len + raw_len / 64);
            ends.reserve_exact(chunk.len());
        }
        // Cancelled: the chunk keeps its shape (the run returns before reading it).
        let skip = progress.is_some_and(Progress::is_cancelled);
        for (j, p) in chunk.iter().enumerate() {
            if skip {
                keys.push(0);
                match block {
                    Some(_) => live.push(false),
                    None => ends.push(arena.len() as u32),
                }
                continue;
            }
            keys.push(self.exact_key_into(text(p), buf));
            tally.tick(progress);
            match block.as_deref_mut() {
                Some(block) => {
                    let lsh = Some(self.lsh);
                    let (has, _) = self.sketch_minhash(buf, false, lsh, scratch, None, row);
                    store_band_keys(block, chunk.len(), j, row);
                    live.push(has);
                }
                None => {
                    arena.push_str(buf);
                    ends.push(arena.len() as u32);
                }
            }
        }
        (keys, arena, ends, live)
    }

    /// Stage 3: the sketch of each distinct text: MinHash slots in one contiguous
    /// buffer (or only the band keys, made in stage 2), or one SimHash fingerprint.
    fn sketch_stage(&self, norm: &mut Normalized, progress: Option<&Progress>) -> Sketches {
        let Method::SimHash { max_hamming } = self.method else {
            return self.minhash_sketches(norm, progress);
        };
        let norm = &*norm;
        let (fps, live): (Vec<u64>, Vec<bool>) = norm
            .canon
            .par_iter()
            .map_init(
                || (SimHashScratch::default(), Tally::default()),
                |(scratch, tally), &id| {
                    if progress.is_some_and(Progress::is_cancelled) {
                        return (0, false);
                    }
                    tally.tick(progress);
                    self.fingerprint(norm.normed(id), scratch)
                },
            )
            .unzip();
        Sketches::SimHash {
            fps,
            max_hamming: max_hamming.min(crate::simhash::BITS),
            live,
        }
    }

    /// [`sketch_stage`](Self::sketch_stage) with MinHash.
    fn minhash_sketches(&self, norm: &mut Normalized, progress: Option<&Progress>) -> Sketches {
        let k = self.hasher.num_perm();
        if norm.keys_only {
            // Banded LSH with exact verification reads only the band keys, made in
            // stage 2 (8 bytes a band, 152 at the defaults, instead of the 512 bytes
            // of a signature of 128 permutations).
            if let Some(p) = progress {
                p.add(norm.canon.len() as u64);
            }
            let live = norm.canon.par_iter().map(|&id| norm.live_of(id)).collect();
            return Sketches::MinHash {
                sigs: Vec::new(),
                band_keys: std::mem::take(&mut norm.para_keys),
                k,
                live,
                sizes: Vec::new(),
            };
        }
        // Containment needs the size of each shingle set, so the hashes are sorted
        // and deduplicated there; Jaccard needs only the signature.
        let sized = self.similarity == Similarity::Containment;
        let (norm, canon) = (&*norm, &norm.canon);
        let mut sigs = vec![0u32; canon.len() * k];
        let init = || (MinHashScratch::default(), Tally::default());
        let (live, sizes): (Vec<bool>, Vec<u32>) = sigs
            .par_chunks_mut(k.max(1))
            .zip(canon.par_iter())
            .map_init(init, |(scratch, tally), (out, &id)| {
                if progress.is_some_and(Progress::is_cancelled) {
                    return (false, 0);
                }
                tally.tick(progress);
                self.sketch_minhash(norm.normed(id), sized, None, scratch, Some(out), &mut [])
            })
            .unzip();
        Sketches::MinHash {
            sigs,
            band_keys: Vec::new(),
            k,
            live,
            sizes: if sized { sizes } else { Vec::new() },
        }
    }

    /// Stage 4: the candidate pairs of distinct texts, sorted; with the prefix filter,
    /// also the shingle sets of every live text (slot of each distinct text, sets),
    /// kept for verification.
    fn candidate_stage(
        &self,
        sketches: &Sketches,
        norm: &Normalized,
        n: usize,
    ) -> (Vec<(u32, u32)>, Option<SlotSets>) {
        let live: Vec<u32> = (0..norm.canon.len() as u32)
            .filter(|&c| sketches.live()[c as usize])
            .collect();
        let mut all_sets = None;
        let edges: Vec<(u32, u32)> = match (self.search, sketches) {
            (CandidateSearch::Lsh, Sketches::MinHash { sigs, k, sizes, .. })
                if self.containment.is_some() =>
            {
                self.containment_edges(self.containment.as_ref(), &live, sigs, *k, sizes)
            }
            (CandidateSearch::PrefixFilter, _) => {
                let (edges, sets) = self.prefix_filter_edges(norm, &live);
                all_sets = Some(sets);
                edges
            }
            (
                CandidateSearch::Lsh,
                Sketches::MinHash {
                    sigs, band_keys, k, ..
                },
            ) => {
                // Sorted band by band.
                let edges = self.band_edges(&live, sigs, *k, band_keys, &norm.canon, n);
                return (edges, all_sets);
            }
            (
                CandidateSearch::Lsh,
                Sketches::SimHash {
                    fps, max_hamming, ..
                },
            ) => {
                let live_fps: Vec<u64> = live.iter().map(|&c| fps[c as usize]).collect();
                hamming_edges(*max_hamming, &live_fps, |i| live[i as usize])
            }
            (CandidateSearch::Exhaustive, _) => live
                .par_iter()
                .enumerate()
                .flat_map_iter(|(i, &a)| live[i + 1..].iter().map(move |&b| (a, b)))
                .collect(),
        };
        (sort_pairs(edges), all_sets)
    }

    /// Banded LSH candidates of the `live` texts, per band in parallel, from their
    /// signatures (`sigs`, `k` slots each) or from the band keys of every paragraph
    /// (`band_keys`, [`band_key_at`]; `canon`: each text's first paragraph); sorted
    /// and without repeats: each band's buckets kept, then read text by text
    /// ([`pairs_by_text`]).
    fn band_edges(
        &self,
        live: &[u32],
        sigs: &[u32],
        k: usize,
        band_keys: &[u64],
        canon: &[u32],
        n: usize,
    ) -> Vec<(u32, u32)> {
        type BandScratch = (
            SharedKeys,
            Vec<u64>,
            Vec<(u64, u32)>,
            Vec<u8>,
            Vec<(u64, u32)>,
        );
        let scratch: PerThread<BandScratch> = PerThread::new();
        let bands = self.lsh.bands;
        // Each band's rows of keys that may repeat, handed to `f` with a buffer of
        // the thread's for grouping them.
        type Rows = Vec<(u64, u32)>;
        let rows_of = |band: usize, f: &mut dyn FnMut(&mut Rows, &mut Rows)| {
            scratch.with(|(filter, column, keys, buf, spread)| {
                column.clear();
                column.extend(live.iter().map(|&c| {
                    let c = c as usize;
                    if band_keys.is_empty() {
                        band_key(self.lsh, band, &sigs[c * k..(c + 1) * k], buf)
                    } else {
                        band_key_at(band_keys, n, bands, band, canon[c] as usize)
                    }
                }));
                // Only the keys that may repeat go on.
                filter.reset(column.len());
                for &key in column.iter() {
                    filter.insert(key);
                }
                keys.clear();
                keys.extend(
                    column
                        .iter()
                        .zip(live)
                        .filter(|&(&key, _)| filter.may_repeat(key))
                        .map(|(&key, &c)| (key, c)),
                );
                f(keys, spread)
            })
        };
        let texts = canon.len();
        let buckets: Option<Vec<BandBuckets>> = (0..bands)
            .into_par_iter()
            .with_max_len(1)
            .map(|band| {
                let mut out = None;
                rows_of(band, &mut |rows, spread| {
                    out = BandBuckets::new(rows, spread, texts);
                });
                out
            })
            .collect();
        match buckets {
            Some(buckets) => pairs_by_text(&buckets, live),
            // Positions past `u32` (billions of texts): band by band.
            None => union_of_bands((0..bands).into_par_iter().map(|band| {
                let mut edges = Vec::new();
                rows_of(band, &mut |rows, _| band_pairs(rows, &mut edges));
                edges
            })),
        }
    }

    /// Every pair of `live` texts at the threshold exactly ([`PrefixFilter`]), and
    /// the shingle sets it made (slot of each distinct text, sets).
    fn prefix_filter_edges(&self, norm: &Normalized, live: &[u32]) -> (Vec<(u32, u32)>, SlotSets) {
        let sets: Vec<Vec<u64>> = live
            .par_iter()
            .map_init(ShingleScratch::default, |scratch, &c| {
                let mut set = Vec::new();
                self.shingler
                    .shingles_into(norm.normed(norm.canon[c as usize]), scratch, &mut set);
                set
            })
            .collect();
        let pf = PrefixFilter::new(&sets, self.similarity, self.threshold);
        let edges = (0..live.len() as u32)
            .into_par_iter()
            .map_init(
                || (PrefixFilterScratch::default(), Vec::new()),
                |(scratch, found), i| {
                    found.clear();
                    pf.pairs_of(i, scratch, found);
                    found
                        .iter()
                        .map(|&(j, _)| (live[i.min(j) as usize], live[i.max(j) as usize]))
                        .collect::<Vec<_>>()
                },
            )
            .flatten_iter()
            .collect();
        let mut slot = vec![u32::MAX; norm.canon.len()];
        for (i, &c) in live.iter().enumerate() {
            slot[c as usize] = i as u32;
        }
        (edges, (slot, SetArena::from_vecs(sets)))
    }

    /// The paragraphs of `documents`, in order. Large documents are cut into pieces at
    /// paragraph boundaries ([`crate::feed::piece_ranges`]) that split in parallel, so one
    /// 48 MB file does not split on one thread.
    fn split_all<S: AsRef<str> + Sync>(
        &self,
        documents: &[S],
        splitter: &ParagraphSplitter,
    ) -> Vec<Paragraph> {
        // (document, mode, piece range), documents in order.
        let pieces: Vec<(u32, ParagraphMode, (usize, usize))> = documents
            .par_iter()
            .enumerate()
            .flat_map_iter(|(d, doc)| {
                let text = doc.as_ref();
                let mode = splitter.resolve(text);
                crate::feed::piece_ranges(text, mode, super::stream::DEFAULT_PIECE_BYTES)
                    .into_iter()
                    .map(move |r| (d as u32, mode, r))
            })
            .collect();
        // Each piece's paragraphs with piece-relative index and line, and its lines.
        let split: Vec<(Vec<Paragraph>, u64)> = pieces
            .par_iter()
            // One piece per task (see the exact stage's chunks).
            .with_max_len(1)
            .map(|&(d, mode, (lo, hi))| {
                let text = &documents[d as usize].as_ref()[lo..hi];
                let mut paras: Vec<Paragraph> =
                    ParagraphSplitter::new(mode).split(d, text).collect();
                let lines = piece_lines(text, &paras);
                for p in &mut paras {
                    p.start += lo;
                    p.end += lo;
                }
                (paras, lines)
            })
            .collect();
        // Indices and lines continue from piece to piece within a document: each
        // piece's first paragraph in the output, and what its indices and lines add.
        let (mut index, mut line) = (0u32, 0u64);
        let mut starts = Vec::with_capacity(split.len());
        let mut total = 0;
        for (i, (paras, lines)) in split.iter().enumerate() {
            if i == 0 || pieces[i - 1].0 != pieces[i].0 {
                (index, line) = (0, 0);
            }
            starts.push((total, index, line));
            total += paras.len();
            index = index.saturating_add(paras.len() as u32);
            line += *lines;
        }
        // Put together in parallel: one thread copying them (and taking the page
        // faults of the output) left the other idle.
        (0..total)
            .into_par_iter()
            // Tasks of at most 4096 paragraphs (see the exact stage's chunks).
            .with_max_len(1 << 12)
            .map(|k| {
                let i = starts.partition_point(|&(first, _, _)| first <= k) - 1;
                let (first, index, line) = starts[i];
                let mut p = split[i].0[k - first];
                p.index = p.index.saturating_add(index);
                p.line += line;
                p
            })
            .collect()
    }

    /// Shingle sets of the distinct texts that appear in some edge, from the raw text
    /// of a paragraph (`text`). Returns a map from distinct-text index to slot
    /// (`u32::MAX` when absent) and the sets.
    ///
    /// The sets of each task's [`SETS_PER_TASK`] texts go end to end into one buffer,
    /// made in a reused one. A vector per set, grown push by push, then copied into
    /// the arena was slower (`malloc`, heap growth by `mprotect` and page faults).
    fn involved_sets<'t>(
        &self,
        edges: &[(u32, u32)],
        distinct: usize,
        canon: &[u32],
        text: impl Fn(u32) -> &'t str + Sync,
    ) -> SlotSets {
        let (involved, slot) = involved(edges, distinct);
        let make = |cs: &[u32]| -> Vec<(Vec<u64>, Vec<usize>)> {
            cs.par_chunks(SETS_PER_TASK)
                // One chunk per task (see the exact stage's chunks).
                .with_max_len(1)
                .map_init(
                    || (Scratch::default(), Vec::new()),
                    |(scratch, set), cs| {
                        let (mut flat, mut lens) = (Vec::new(), Vec::with_capacity(cs.len()));
                        for &c in cs {
                            self.shingle_set(text(canon[c as usize]), scratch, set);
                            flat.extend_from_slice(set);
                            lens.push(set.len());
                        }
                        (flat, lens)
                    },
                )
                .collect()
        };
        // The arena adopts each task's buffer as it is: no copy. Copying into the arena
        // ran on one thread (mostly its page faults); overlapping the copy with making
        // the next round of sets still left a thread idle.
        let sets = SetArena::from_parts(make(&involved));
        (slot, sets)
    }
}

/// Shingle sets of some distinct texts: the slot of each distinct text (`u32::MAX`:
/// none), and the sets by slot.
type SlotSets = (Vec<u32>, SetArena);

/// Per-thread state of the exact stage: the normalized text, the progress tally, and
/// the MinHash scratch with one row of band keys.
type ChunkState = (String, Tally, (MinHashScratch, Vec<u64>));

/// What the exact stage of `run` found: per chunk of [`NORM_CHUNK`] paragraphs, their
/// normalized texts or whether each has shingles; with `keys_only`, the band keys of
/// every paragraph; the distinct texts.
struct Normalized {
    chunks: Vec<NormalizedChunk>,
    para_keys: Vec<u64>,
    /// For each paragraph, its distinct text; for each distinct text, its first
    /// paragraph.
    canon_of: Vec<u32>,
    canon: Vec<u32>,
    keys_only: bool,
}

impl Normalized {
    /// The normalized text of paragraph `id` (not with `keys_only`).
    fn normed(&self, id: u32) -> &str {
        let (ci, j) = (id as usize / NORM_CHUNK, id as usize % NORM_CHUNK);
        let (_, arena, ends, _) = &self.chunks[ci];
        let lo = if j == 0 { 0 } else { ends[j - 1] as usize };
        &arena[lo..ends[j] as usize]
    }

    /// Whether paragraph `id` has shingles (with `keys_only`).
    fn live_of(&self, id: u32) -> bool {
        let (ci, j) = (id as usize / NORM_CHUNK, id as usize % NORM_CHUNK);
        self.chunks[ci].3[j]
    }
}

/// What verification reads: the shingle sets when made, else the sketches.
fn evidence(sets: Option<SlotSets>, sketches: &Sketches) -> Evidence<'_> {
    match (sets, sketches) {
        (Some((slot, sets)), _) => Evidence::Sets { slot, sets },
        (None, Sketches::MinHash { sigs, k, .. }) => Evidence::Signatures {
            slot: None,
            sigs,
            k: *k,
        },
        (
            None,
            Sketches::SimHash {
                fps, max_hamming, ..
            },
        ) => Evidence::Fingerprints {
            fps,
            max_hamming: *max_hamming,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn piece_lines_count_every_break(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("\n"), Just("\r\n"), Just("\n\n"), Just(" \n"), Just("  "),
                    Just("word"), Just("é"), Just("\r"), Just("\t\n"),
                ],
                0..60,
            ),
        ) {
            let text: String = parts.concat();
            for mode in [
                ParagraphMode::Lines,
                ParagraphMode::BlankLines,
                ParagraphMode::Whole,
                ParagraphMode::Auto,
            ] {
                let paras: Vec<Paragraph> = ParagraphSplitter::new(mode).split(0, &text).collect();
                prop_assert_eq!(piece_lines(&text, &paras), crate::feed::newlines(text.as_bytes()));
            }
        }
    }

    #[test]
    fn band_keys_in_blocks_read_back() {
        for distinct in [
            0,
            1,
            KEY_BLOCK - 1,
            KEY_BLOCK,
            KEY_BLOCK + 1,
            2 * KEY_BLOCK + 452,
        ] {
            for bands in 1..4 {
                let key = |c: usize, b: usize| (c * 16 + b) as u64;
                let mut keys = vec![0u64; distinct * bands];
                for (k, block) in keys.chunks_mut(bands * KEY_BLOCK).enumerate() {
                    let len = block.len() / bands;
                    for i in 0..len {
                        let c = k * KEY_BLOCK + i;
                        let row: Vec<u64> = (0..bands).map(|b| key(c, b)).collect();
                        store_band_keys(block, len, i, &row);
                    }
                }
                for c in 0..distinct {
                    for b in 0..bands {
                        assert_eq!(band_key_at(&keys, distinct, bands, b, c), key(c, b));
                    }
                }
            }
        }
    }
}
