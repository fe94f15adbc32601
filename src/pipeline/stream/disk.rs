//! The stream's disk mode, under [`StreamConfig::memory_limit`]: the state that grows
//! with the corpus lives in files of the spill directory, and memory holds windows of
//! it sized by the limit.
//!
//! | state | where, under a limit |
//! |---|---|
//! | provenance, 32 bytes per paragraph | `provenance.bin`, read in order |
//! | text id of each paragraph, 4 bytes | `canon_of.bin`, read in order |
//! | exact keys, 16 bytes per text | a key map of one window of texts, written as a sorted run (`keys-N.bin`) when the window is full; each text's key in `keys.bin` |
//! | band keys, 8 bytes per band per text | sorted runs per band (`runN-bandB.bin`) |
//! | signatures (signature verification) | `signatures.bin` |
//! | shingle sets of the texts in candidate pairs | `sets.bin`, read back in windows |
//!
//! A text met again after its key window went to disk gets a second, provisional id.
//! After the first pass, a k-way merge of the key runs maps each such id to the first
//! id of its text (its canonical id), and band keys are mapped the same way before
//! their buckets are formed, so the candidate pairs, and everything after, are those
//! of [`Deduper::run_documents`](crate::Deduper::run_documents).
//!
//! Verification reads the candidate pairs in order and loads the evidence (shingle
//! sets, signatures) of as many of their texts as the limit allows, one window at a
//! time; without [`all_pairs`](crate::DeduperBuilder::all_pairs), in the rounds of
//! `run`, skipping the pairs of texts already joined, so it verifies the same pairs.
//! Clusters are then built per window of connected groups (texts joined by verified
//! pairs, and texts that occur more than once, with the provenance of their
//! paragraphs only) by the stage that `run` uses, from the pairs already verified (and
//! the group's candidate pairs, for anti-chaining without every pair), and merged in
//! order.
//!
//! What memory still holds besides the windows: the result (clusters and pairs, which
//! grow with the duplicates found, not with the corpus), the candidate pairs (8 bytes
//! each), 12 bytes per text in a candidate pair, 40 bytes per paragraph in a cluster,
//! 8 bytes per text met again after its key window went to disk, and two bits per
//! distinct text; without every pair, a union-find of the texts (8 bytes each) and,
//! with anti-chaining, the candidate pairs within groups until the clusters are
//! built; with SimHash, the fingerprints (8 bytes per distinct text) and the ids of
//! the texts that have one (4).

use super::StreamConfig;
mod store;

use super::collect::Collector;
use super::files::{In, Merge, Out, decode_paragraph, io_at, narrow, u32_at};
use super::spill::{KeyMap, reserve};
use crate::cluster::{Cluster, Clusters, Pair, StageTimings, UnionFind};
use crate::error::{ErrorKind, Result};
use crate::feed::Feed;
use crate::paragraph::Paragraph;
use crate::pipeline::assemble::{Counts, Found};
use crate::pipeline::candidates::{
    bucket_candidates_with, hamming_edges, merge_into_sorted, sort_pairs,
};
use crate::pipeline::{Deduper, lap};
use crate::progress::{Progress, Stage};
use crate::{Method, Verification};
use rayon::prelude::*;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use store::{Bits, Canonical, Replayer, Store};

/// Everything after the first pass, in disk mode.
pub(super) fn finish<F>(
    d: &Deduper,
    mut col: Collector<'_>,
    config: &StreamConfig,
    source: &mut F,
    documents: usize,
    progress: Option<&Progress>,
) -> Result<Clusters>
where
    F: FnMut(&mut Feed<'_>) -> Result<()>,
{
    let limit = config.memory_limit.expect("disk mode has a limit");
    let mut timings = std::mem::take(&mut col.timings);
    let mut clock = Instant::now();
    let mut disk = col.disk.take().expect("disk mode");
    if !disk.key_runs.is_empty() {
        disk.spill_keys(&mut col.seen)?;
    }
    col.seen = KeyMap::default();
    let dir = disk.dir.clone();
    let (provenance, n) = disk.provenance.finish()?;
    let (canon_of, _) = disk.canon_of.finish()?;
    let (keys, texts) = disk.keys.finish()?;
    let canonical = Canonical::resolve(disk.key_runs, &dir, texts as usize)?;
    let distinct = texts as usize - canonical.dups.len();
    let n = n as usize;
    let sig_path = close_signatures(&mut col)?;

    // Candidates, in canonical ids.
    if let Some(p) = progress {
        p.enter(Stage::Candidates, 0);
    }
    let edges = candidates(d, &mut col, &canonical, &dir)?;
    timings.candidates += lap(&mut clock);

    // Verification: the evidence of the texts in candidate pairs, a window at a time.
    if let Some(p) = progress {
        p.enter(Stage::Verify, 0);
    }
    let mut involved: Vec<u32> = edges.iter().flat_map(|&(a, b)| [a, b]).collect();
    involved.sort_unstable();
    involved.dedup();
    let first = FirstPass {
        files: (&provenance, &canon_of, &keys),
        paragraphs: n,
        texts,
        documents,
    };
    let evidence = (dir.as_path(), &involved[..], sig_path, &col.fps[..]);
    let mut store = open_store(d, config, source, &first, evidence, progress)?;
    // Without every pair, a union-find of the texts (8 bytes each) joins them.
    let joins = if d.all_pairs { 0 } else { texts as usize * 8 };
    let held =
        edges.len() * 8 + involved.len() * 12 + col.fps.len() * 8 + col.live_ids.len() * 4 + joins;
    // Windows of at least a batch's worth, the unit of work.
    let room = limit.saturating_sub(reserve(config) + held);
    let verified = verify(
        d,
        &edges,
        texts as usize,
        &mut store,
        (room, config.batch_bytes),
    )?;
    let candidates = edges.len();
    // The lazy anti-chaining of the cluster windows reads the candidate pairs.
    let edges = if !d.all_pairs && d.anti_chaining {
        edges
    } else {
        Vec::new()
    };
    timings.verify += lap(&mut clock);

    // Clusters.
    if let Some(p) = progress {
        p.enter(Stage::Cluster, 0);
    }
    let (clusters, pairs, split_off) = cluster(
        d,
        (&verified, edges),
        &mut store,
        &canonical,
        (&provenance, &canon_of, n, texts as usize),
        documents,
        (
            limit.saturating_sub(reserve(config) + held),
            config.batch_bytes,
        ),
    )?;
    timings.cluster += lap(&mut clock);
    let counts = Counts {
        documents,
        paragraphs: n,
        bytes: col.bytes,
        distinct,
        candidates,
        verified: verified.len(),
        split_off,
    };
    Ok(d.answer(clusters, pairs, counts, timings))
}

/// The file of the signatures the first pass kept (signature verification), flushed
/// and closed; `None` when it kept none.
fn close_signatures(col: &mut Collector<'_>) -> Result<Option<PathBuf>> {
    match &mut col.sigs {
        super::SigStore::File(w, path) => {
            w.take()
                .expect("open during the first pass")
                .flush()
                .map_err(io_at(path))?;
            Ok(Some(path.clone()))
        }
        _ => Ok(None),
    }
}

/// The first pass's files (provenance, text ids, exact keys) and counts.
struct FirstPass<'a> {
    files: (&'a Path, &'a Path, &'a Path),
    paragraphs: usize,
    texts: u64,
    documents: usize,
}

/// The second pass (exact verification): the shingle sets of the texts `involved`
/// written to `path`, checked against the first pass; their offsets in the file.
fn second_pass<F>(
    d: &Deduper,
    config: &StreamConfig,
    source: &mut F,
    first: &FirstPass<'_>,
    involved: &[u32],
    path: &Path,
    progress: Option<&Progress>,
) -> Result<Vec<u64>>
where
    F: FnMut(&mut Feed<'_>) -> Result<()>,
{
    let (provenance, canon_of, keys) = first.files;
    let (n, documents) = (first.paragraphs, first.documents);
    let mut replay = Replayer {
        deduper: d,
        progress,
        provenance: In::open(provenance, n as u64)?,
        canon_of: In::open(canon_of, n as u64)?,
        keys: In::open(keys, first.texts)?,
        next: 0,
        next_text: 0,
        involved,
        found: 0,
        out: Out::create(path.to_path_buf())?,
        offsets: vec![0u64],
    };
    let mut batcher = super::new_batcher(d, config);
    source(&mut Feed {
        batcher: &mut batcher,
        sink: &mut replay,
    })?;
    batcher.flush(&mut replay)?;
    if replay.next != n || batcher.docs as usize != documents || replay.found != involved.len() {
        return Err(ErrorKind::ReplayMismatch(format!(
            "the second pass gave {} paragraphs in {} documents, the first {n} in {documents}",
            replay.next, batcher.docs
        ))
        .into());
    }
    replay.out.finish()?;
    Ok(replay.offsets)
}

/// Where verification finds the evidence of the texts `involved` (ascending): their
/// shingle sets, made by the second pass into the spill directory `dir`; or the
/// signatures in the file `sig_path`; or the fingerprints `fps`.
fn open_store<'a, F>(
    d: &Deduper,
    config: &StreamConfig,
    source: &mut F,
    first: &FirstPass<'_>,
    (dir, involved, sig_path, fps): (&Path, &'a [u32], Option<PathBuf>, &'a [u64]),
    progress: Option<&Progress>,
) -> Result<Store<'a>>
where
    F: FnMut(&mut Feed<'_>) -> Result<()>,
{
    Ok(match (d.verification, d.method) {
        (Verification::Exact, _) => {
            let path = dir.join("sets.bin");
            let offsets = if involved.is_empty() {
                vec![0u64]
            } else {
                second_pass(d, config, source, first, involved, &path, progress)?
            };
            let file = if involved.is_empty() {
                None
            } else {
                Some(File::open(&path).map_err(io_at(&path))?)
            };
            Store::Sets {
                file,
                path,
                involved,
                offsets,
            }
        }
        (Verification::Signature, Method::MinHash) => {
            let path = sig_path.expect("signature verification keeps signatures");
            Store::Sigs {
                file: File::open(&path).map_err(io_at(&path))?,
                path,
                k: d.hasher.num_perm(),
            }
        }
        (Verification::Signature, Method::SimHash { max_hamming }) => Store::Fps {
            fps,
            max_hamming: max_hamming.min(crate::simhash::BITS),
        },
    })
}

/// Stage 4 in disk mode: the candidate pairs in canonical ids, sorted, from the band
/// runs merged a few bands at a time (or the fingerprints); the band keys go.
fn candidates(
    d: &Deduper,
    col: &mut Collector<'_>,
    canonical: &Canonical,
    dir: &Path,
) -> Result<Vec<(u32, u32)>> {
    let edges: Vec<(u32, u32)> = match d.method {
        Method::MinHash => {
            col.spill_run()?;
            let runs = std::mem::take(&mut col.spill.runs);
            let bands = d.lsh.bands;
            let per_band: Vec<Vec<(PathBuf, u64)>> = (0..bands)
                .map(|b| runs.iter().map(|r| r[b].clone()).collect())
                .collect();
            let map = |p: u32| canonical.of(p);
            // A few bands at a time, each band's pairs deduplicated, so that the pairs
            // of every band are never all held at once. Pairs are packed (`a << 32 |
            // b`, the same order) while sorted and merged.
            let mut all: Vec<u64> = Vec::new();
            let at_once = rayon::current_num_threads().max(1);
            for group in per_band.chunks(at_once) {
                let found: Vec<Result<Vec<u64>>> = d.in_pool(|| {
                    group
                        .par_iter()
                        .enumerate()
                        .map(|(i, runs)| {
                            let runs = narrow::<12>(runs.clone(), dir, &format!("band{i}"))?;
                            let mut e = merge_band(&runs, &map)?;
                            e.sort_unstable();
                            e.dedup();
                            Ok(e)
                        })
                        .collect()
                });
                for e in found {
                    merge_into_sorted(&mut all, &e?);
                }
            }
            all.iter().map(|&x| ((x >> 32) as u32, x as u32)).collect()
        }
        Method::SimHash { max_hamming } => {
            let max_hamming = max_hamming.min(crate::simhash::BITS);
            let live_fps: Vec<u64> = col.live_ids.iter().map(|&c| col.fps[c as usize]).collect();
            let live = &col.live_ids;
            let found = d.in_pool(|| hamming_edges(max_hamming, &live_fps, |i| live[i as usize]));
            let found = found
                .into_iter()
                .filter_map(|(a, b)| {
                    let (a, b) = (canonical.of(a), canonical.of(b));
                    (a != b).then(|| (a.min(b), a.max(b)))
                })
                .collect();
            d.in_pool(|| sort_pairs(found))
        }
    };
    col.live_ids = super::Blocks::new();
    col.band_keys = Vec::new();
    Ok(edges)
}

/// The candidate pairs `edges` (ascending) that pass, with their similarity, in
/// order; the evidence of at most about `room` bytes of texts loaded at once. Without
/// [`all_pairs`](crate::DeduperBuilder::all_pairs), only the pairs that join texts not
/// yet joined, in the rounds of the in-memory run, so the same pairs.
fn verify(
    d: &Deduper,
    edges: &[(u32, u32)],
    texts: usize,
    store: &mut Store<'_>,
    room: (usize, usize),
) -> Result<Vec<(u32, u32, f64)>> {
    if d.all_pairs {
        let mut verified = Vec::new();
        verify_windows(d, edges, store, room, &mut verified)?;
        return Ok(verified);
    }
    d.join_in_rounds(edges, texts, |todo, out| {
        verify_windows(d, todo, store, room, out)
    })
}

/// The pairs of `edges` that pass, appended to `verified` in order, a window of
/// evidence at a time: the room left after the pairs that passed, at least `floor`.
fn verify_windows(
    d: &Deduper,
    edges: &[(u32, u32)],
    store: &mut Store<'_>,
    (room, floor): (usize, usize),
    verified: &mut Vec<(u32, u32, f64)>,
) -> Result<()> {
    let mut start = 0;
    let mut ids: Vec<u32> = Vec::new();
    let mut seen: ahash::AHashSet<u32> = ahash::AHashSet::new();
    while start < edges.len() {
        // The pairs that passed so far take their part of the room.
        let budget = room.saturating_sub(verified.capacity() * 16).max(floor);
        let (mut end, mut bytes) = (start, 0usize);
        seen.clear();
        while end < edges.len() {
            let (a, b) = edges[end];
            let add: usize = [a, b]
                .iter()
                .filter(|c| !seen.contains(c))
                .map(|&c| store.bytes(c))
                .sum();
            if end > start && bytes + add > budget {
                break;
            }
            seen.insert(a);
            seen.insert(b);
            bytes += add;
            end += 1;
        }
        ids.clear();
        ids.extend(seen.iter().copied());
        ids.sort_unstable();
        let mut loaded = store.load(&ids)?;
        let evidence = loaded.evidence((0..ids.len() as u32).collect());
        let local = |c: u32| ids.binary_search(&c).expect("loaded") as u32;
        let (measure, threshold) = (d.similarity, d.threshold);
        let chunk: Vec<(u32, u32, f64)> = d.in_pool(|| {
            edges[start..end]
                .par_iter()
                .filter_map(|&(a, b)| {
                    let (i, j) = (local(a), local(b));
                    let s = evidence.similarity(i, j, measure, &[]);
                    evidence.passes(i, j, s, threshold).then_some((a, b, s))
                })
                .collect()
        });
        verified.extend(chunk);
        start = end;
    }
    Ok(())
}

/// The texts in some cluster, those in a verified pair or repeated (as bits and
/// ascending), and those in a verified pair.
fn chosen_texts(
    verified: &[(u32, u32, f64)],
    canonical: &Canonical,
    (canon_of, n, texts): (&Path, usize, usize),
) -> Result<(Bits, Vec<u32>, Vec<u32>)> {
    // Texts that occur more than once (two bits per text id).
    let (mut once, mut twice) = (Bits::new(texts), Bits::new(texts));
    let mut ids = In::<4>::open(canon_of, n as u64)?;
    while let Some(rec) = ids.next()? {
        let c = canonical.of(u32_at(&rec));
        if once.get(c) {
            twice.set(c);
        } else {
            once.set(c);
        }
    }
    drop(once);
    let mut in_pair: Vec<u32> = verified.iter().flat_map(|&(a, b, _)| [a, b]).collect();
    in_pair.sort_unstable();
    in_pair.dedup();
    let mut chosen = twice;
    for &c in &in_pair {
        chosen.set(c);
    }
    let chosen_ids: Vec<u32> = (0..texts as u32).filter(|&c| chosen.get(c)).collect();
    Ok((chosen, chosen_ids, in_pair))
}

/// The root of each of `n` texts joined by `pairs`: its group's smallest text.
fn roots(n: usize, pairs: impl Iterator<Item = (u32, u32)>) -> Vec<u32> {
    let mut uf = UnionFind::new(n);
    for (a, b) in pairs {
        uf.union(a, b);
    }
    (0..n as u32).map(|t| uf.find(t)).collect()
}

/// Texts `0..` in windows (`windows`, in order; `start`: where each window starts):
/// each text's number within its window, and the texts in window order.
fn number_by_window(start: &[usize], windows: impl Iterator<Item = usize>) -> (Vec<u32>, Vec<u32>) {
    let n = *start.last().unwrap_or(&0);
    let (mut local, mut by) = (vec![0u32; n], vec![0u32; n]);
    let mut fill = start.to_vec();
    for (t, w) in windows.enumerate() {
        local[t] = (fill[w] - start[w]) as u32;
        by[fill[w]] = t as u32;
        fill[w] += 1;
    }
    (local, by)
}

/// The paragraphs of the `chosen` texts, in order: (text by `t_of`, paragraph id,
/// provenance), read from the first pass's files.
fn chosen_members(
    (provenance, canon_of, n): (&Path, &Path, usize),
    canonical: &Canonical,
    chosen: &Bits,
    t_of: &dyn Fn(u32) -> u32,
) -> Result<Vec<(u32, u32, Paragraph)>> {
    let mut members = Vec::new();
    let mut prov = In::<32>::open(provenance, n as u64)?;
    let mut ids = In::<4>::open(canon_of, n as u64)?;
    for pid in 0..n as u32 {
        let p = prov.next()?.expect("one per paragraph");
        let c = canonical.of(u32_at(&ids.next()?.expect("one per paragraph")));
        if chosen.get(c) {
            members.push((t_of(c), pid, decode_paragraph(&p)));
        }
    }
    Ok(members)
}

/// Where each of `windows` windows starts among items whose windows are `keys`
/// (a counting sort's offsets; one more entry, the end).
fn window_starts(keys: &mut dyn Iterator<Item = usize>, windows: usize) -> Vec<usize> {
    let mut start = vec![0usize; windows + 1];
    for w in keys {
        start[w + 1] += 1;
    }
    for w in 0..windows {
        start[w + 1] += start[w];
    }
    start
}

/// Connected groups in windows of whole groups, in order of their first text, each
/// window holding about `budget` bytes (a group larger than that alone): the window
/// of each group's root (`root[t]`, texts `t` numbered by `chosen_ids`), and how many
/// windows.
fn assign_windows(
    chosen_ids: &[u32],
    in_pair: &[u32],
    root: &[u32],
    member_texts: impl Iterator<Item = u32>,
    store: &Store<'_>,
    budget: usize,
) -> (Vec<u32>, usize) {
    let mut group_bytes = vec![0usize; chosen_ids.len()];
    for (t, &c) in chosen_ids.iter().enumerate() {
        if in_pair.binary_search(&c).is_ok() {
            group_bytes[root[t] as usize] += store.bytes(c);
        }
    }
    for t in member_texts {
        group_bytes[root[t as usize] as usize] += PER_WINDOW_MEMBER;
    }
    let mut window_of = vec![u32::MAX; chosen_ids.len()];
    let (mut windows, mut filled) = (0u32, 0usize);
    for t in 0..chosen_ids.len() {
        if root[t] as usize != t {
            continue;
        }
        if filled > 0 && filled + group_bytes[t] > budget {
            windows += 1;
            filled = 0;
        }
        filled += group_bytes[t];
        window_of[t] = windows;
    }
    let windows = if chosen_ids.is_empty() {
        0
    } else {
        windows as usize + 1
    };
    (window_of, windows)
}

/// Bytes per cluster member that stay through the cluster windows: its record by
/// window (40), its [`Member`](crate::Member) in the result (48) and its share of the
/// cluster's `Vec` (24), at most one [`Pair`] (80).
const PER_MEMBER: usize = 40 + 48 + 24 + 80;
/// Bytes per member that a window's own arrays take while it is built (provenance,
/// text ids, union-find, groups, the placing of texts in parts, the window's pairs
/// before they join the others).
const PER_WINDOW_MEMBER: usize = 200;

/// The clusters from the verified pairs and the exact duplicates, built a window of
/// connected groups at a time; with the pairs and the number of texts split off.
fn cluster(
    d: &Deduper,
    (verified, mut edges): (&[Scored], Vec<(u32, u32)>),
    store: &mut Store<'_>,
    canonical: &Canonical,
    (provenance, canon_of, n, texts): (&Path, &Path, usize, usize),
    documents: usize,
    (room, floor): (usize, usize),
) -> Result<(Vec<Cluster>, Vec<Pair>, usize)> {
    let (chosen, chosen_ids, in_pair) = chosen_texts(verified, canonical, (canon_of, n, texts))?;
    let t_of = |c: u32| chosen_ids.binary_search(&c).expect("a chosen text") as u32;
    // Connected groups of texts; each group's root is its smallest text.
    let root = roots(
        chosen_ids.len(),
        verified.iter().map(|&(a, b, _)| (t_of(a), t_of(b))),
    );
    let mut members = chosen_members((provenance, canon_of, n), canonical, &chosen, &t_of)?;
    drop(chosen);
    // Windows of whole groups, in order of their first text. What stays through all
    // windows is `fixed` (members, chosen texts, verified pairs and the result); each
    // window gets the rest of the room, at least `floor`, for its evidence and its
    // own arrays.
    let fixed = members.len() * PER_MEMBER
        + chosen_ids.len() * 24
        + verified.len() * (32 + 80)
        + edges.len() * 8
        + in_pair.len() * 4;
    let budget = room.saturating_sub(fixed).max(floor);
    let member_texts = members.iter().map(|m| m.0);
    let (window_of, windows) =
        assign_windows(&chosen_ids, &in_pair, &root, member_texts, store, budget);
    let window = |t: u32| window_of[root[t as usize] as usize] as usize;
    // Texts, members and pairs by window, in order (counting sorts).
    let by_window = |keys: &mut dyn Iterator<Item = usize>| window_starts(keys, windows);
    let text_start = by_window(&mut (0..chosen_ids.len() as u32).map(window));
    let (local, texts_by) = number_by_window(&text_start, (0..chosen_ids.len() as u32).map(window));
    let member_start = by_window(&mut members.iter().map(|m| window(m.0)));
    // A stable sort keeps paragraph order within each window.
    members.sort_by_key(|m| window(m.0));
    let members_by: Vec<(u32, Paragraph)> = members
        .into_iter()
        .map(|(t, _, p)| (local[t as usize], p))
        .collect();
    let edge_start = by_window(&mut verified.iter().map(|e| window(t_of(e.0))));
    let mut edges_by = vec![(0u32, 0u32, 0f64); verified.len()];
    let mut fill = edge_start.clone();
    for &(a, b, s) in verified {
        let (ta, tb) = (t_of(a), t_of(b));
        let w = window(ta);
        edges_by[fill[w]] = (local[ta as usize], local[tb as usize], s);
        fill[w] += 1;
    }
    // The candidate pairs within a group (the others cannot be read), by window.
    let candidate_start = if edges.is_empty() {
        vec![0; windows + 1]
    } else {
        let mut t_at = vec![u32::MAX; texts];
        for (t, &c) in chosen_ids.iter().enumerate() {
            t_at[c as usize] = t as u32;
        }
        let at = |(a, b): (u32, u32)| (t_at[a as usize], t_at[b as usize]);
        edges.retain(|&e| {
            let (ta, tb) = at(e);
            ta != u32::MAX && tb != u32::MAX && root[ta as usize] == root[tb as usize]
        });
        d.in_pool(|| edges.par_sort_unstable_by_key(|&e| (window(at(e).0), e)));
        let start = by_window(&mut edges.iter().map(|&e| window(at(e).0)));
        for e in edges.iter_mut() {
            let (ta, tb) = at(*e);
            *e = (local[ta as usize], local[tb as usize]);
        }
        start
    };

    let mut clusters: Vec<Cluster> = Vec::new();
    // Every member but the first of its text's paragraphs pairs with that first one,
    // and every verified pair is a pair.
    let mut pairs: Vec<Pair> = Vec::with_capacity(if windows > 1 {
        members_by.len() + verified.len() - chosen_ids.len().min(members_by.len())
    } else {
        0
    });
    let mut split_off = 0;
    for w in 0..windows {
        let wtexts = &texts_by[text_start[w]..text_start[w + 1]];
        let wmembers = &members_by[member_start[w]..member_start[w + 1]];
        let pairs_of_window = (
            edges_by[edge_start[w]..edge_start[w + 1]].to_vec(),
            edges[candidate_start[w]..candidate_start[w + 1]].to_vec(),
        );
        let chosen = (chosen_ids.as_slice(), in_pair.as_slice());
        let window_parts = (wtexts, wmembers, pairs_of_window);
        let part = cluster_window(d, store, chosen, window_parts, documents)?;
        if clusters.is_empty() {
            clusters = part.clusters;
        } else {
            clusters.extend(part.clusters);
        }
        if pairs.capacity() == 0 {
            pairs = part.pairs;
        } else {
            pairs.extend(part.pairs);
        }
        split_off += part.stats.split_off;
    }
    let first = |c: &Cluster| {
        let p = c.members[0].paragraph;
        (p.doc, p.index)
    };
    d.in_pool(|| {
        clusters.par_sort_unstable_by_key(first);
        pairs.par_sort_unstable_by_key(|p| (p.a.doc, p.a.index, p.b.doc, p.b.index));
    });
    Ok((clusters, pairs, split_off))
}

/// A verified pair of texts and its similarity.
type Scored = (u32, u32, f64);

/// One window of whole groups: its texts, its members, its verified pairs and (for
/// the lazy anti-chaining) its candidate pairs.
type Window<'a> = (
    &'a [u32],
    &'a [(u32, Paragraph)],
    (Vec<Scored>, Vec<(u32, u32)>),
);

/// The clusters of one window of whole groups: its texts `wtexts` (numbers into
/// `chosen_ids`; `in_pair`: the texts with evidence), its members (local text,
/// provenance) in paragraph order, and its verified pairs in local numbers, through
/// the stage that `run` uses.
fn cluster_window(
    d: &Deduper,
    store: &mut Store<'_>,
    (chosen_ids, in_pair): (&[u32], &[u32]),
    (wtexts, wmembers, (verified, edges)): Window<'_>,
    documents: usize,
) -> Result<Clusters> {
    // The evidence of the texts in pairs.
    let with: Vec<u32> = wtexts
        .iter()
        .map(|&t| chosen_ids[t as usize])
        .filter(|c| in_pair.binary_search(c).is_ok())
        .collect();
    let mut loaded = store.load(&with)?;
    let slot: Vec<u32> = wtexts
        .iter()
        .map(|&t| {
            let c = chosen_ids[t as usize];
            with.binary_search(&c).map_or(u32::MAX, |i| i as u32)
        })
        .collect();
    let evidence = loaded.evidence(slot);
    let paragraphs: Vec<Paragraph> = wmembers.iter().map(|m| m.1).collect();
    let canon_of: Vec<u32> = wmembers.iter().map(|m| m.0).collect();
    let mut canon = vec![u32::MAX; wtexts.len()];
    for (p, &c) in canon_of.iter().enumerate().rev() {
        canon[c as usize] = p as u32;
    }
    let found = Found {
        documents,
        paragraphs: &paragraphs,
        bytes: 0,
        canon_of: &canon_of,
        canon: &canon,
        edges,
        sizes: &[],
        verified: Some(verified),
    };
    let mut clock = Instant::now();
    Ok(d.in_pool(|| d.assemble(found, &evidence, StageTimings::default(), &mut clock, None)))
}

/// Candidate pairs of one band from its sorted runs, packed (`a << 32 | b`): a k-way
/// merge by (key, id), ids mapped by `map` (to their canonical ids: see [`disk`]) and
/// deduplicated within each bucket, buckets then handled as in memory
/// ([`bucket_candidates_with`]).
fn merge_band(runs: &[(PathBuf, u64)], map: &dyn Fn(u32) -> u32) -> Result<Vec<u64>> {
    let mut merge = Merge::<12>::open(runs)?;
    let mut edges = Vec::new();
    let mut emit = |a: u32, b: u32| edges.push(u64::from(a) << 32 | u64::from(b));
    let (mut bucket, mut bucket_key): (Vec<u32>, u64) = (Vec::new(), 0);
    while let Some(rec) = merge.next()? {
        let key = u64::from_be_bytes(rec[..8].try_into().expect("8 bytes"));
        let id = map(u32::from_be_bytes(rec[8..].try_into().expect("4 bytes")));
        if key != bucket_key {
            bucket_candidates_with(&mut bucket, &mut emit);
            bucket.clear();
            bucket_key = key;
        }
        bucket.push(id);
    }
    bucket_candidates_with(&mut bucket, &mut emit);
    Ok(edges)
}

#[cfg(test)]
mod tests;
