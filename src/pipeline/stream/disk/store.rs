//! What disk mode reads back: canonical ids, and the evidence of the texts in candidate
//! pairs (written by the second pass), loaded a window at a time.

use super::super::files::{In, Merge, Out, decode_paragraph, io_at, narrow, u32_at};
use super::super::replay::{check_paragraph, replay_batch};
use crate::error::Result;
use crate::feed::{Piece, Sink};
use crate::paragraph::Paragraph;
use crate::pipeline::Deduper;
use crate::pipeline::assemble::{Evidence, SetArena};
use crate::progress::Progress;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Provisional text ids met again after their key window went to disk, each with the
/// canonical id of its text (the text's first id).
pub(crate) struct Canonical {
    /// (provisional id, canonical id), by provisional id.
    pub(crate) dups: Vec<(u32, u32)>,
    /// Which ids are in `dups`: most lookups end here (one bit per text id).
    pub(crate) is_dup: Bits,
}

impl Canonical {
    /// From the key runs (one per key window): equal keys in different runs.
    pub(crate) fn resolve(
        runs: Vec<(PathBuf, u64)>,
        dir: &Path,
        texts: usize,
    ) -> Result<Canonical> {
        let mut dups = Vec::new();
        if runs.len() > 1 {
            let runs = narrow::<20>(runs, dir, "keys")?;
            let mut merge = Merge::<20>::open(&runs)?;
            let mut current: Option<(u128, u32)> = None;
            while let Some(rec) = merge.next()? {
                let key = u128::from_be_bytes(rec[..16].try_into().expect("16 bytes"));
                let id = u32_at(&rec[16..]);
                match current {
                    Some((k, first)) if k == key => dups.push((id, first)),
                    _ => current = Some((key, id)),
                }
            }
            dups.sort_unstable();
        }
        let mut is_dup = Bits::new(if dups.is_empty() { 0 } else { texts });
        for &(d, _) in &dups {
            is_dup.set(d);
        }
        Ok(Canonical { dups, is_dup })
    }

    /// The canonical id of provisional id `p`.
    pub(crate) fn of(&self, p: u32) -> u32 {
        if self.dups.is_empty() || !self.is_dup.get(p) {
            return p;
        }
        match self.dups.binary_search_by_key(&p, |&(d, _)| d) {
            Ok(i) => self.dups[i].1,
            Err(_) => p,
        }
    }
}

/// Small bit set.
pub(crate) struct Bits(Vec<u64>);

impl Bits {
    pub(crate) fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    pub(crate) fn get(&self, i: u32) -> bool {
        self.0[i as usize / 64] >> (i % 64) & 1 == 1
    }
    pub(crate) fn set(&mut self, i: u32) {
        self.0[i as usize / 64] |= 1 << (i % 64);
    }
}

/// Where verification finds the evidence of a text (by canonical id).
pub(crate) enum Store<'a> {
    /// Shingle sets of the texts `involved`, in `sets.bin`: set `i` is
    /// `offsets[i]..offsets[i + 1]` (in `u64` values).
    Sets {
        file: Option<File>,
        path: PathBuf,
        involved: &'a [u32],
        offsets: Vec<u64>,
    },
    /// Signatures of every text (`k` slots), in `signatures.bin`.
    Sigs { file: File, path: PathBuf, k: usize },
    /// SimHash fingerprints of every text, in memory.
    Fps { fps: &'a [u64], max_hamming: u32 },
}

/// Bytes of bookkeeping per loaded text besides its evidence: its id, its slot, its
/// entry in the set of ids being gathered.
pub(crate) const PER_LOADED: usize = 32;

/// Evidence loaded for some texts, in their order.
pub(crate) enum Loaded {
    Sets(SetArena),
    Sigs(Vec<u32>, usize),
    Fps(Vec<u64>, u32),
}

impl Loaded {
    /// Verification's view, with `slot[i]` the loaded index of local text `i`.
    pub(crate) fn evidence(&mut self, slot: Vec<u32>) -> Evidence<'_> {
        match self {
            Loaded::Sets(sets) => Evidence::Sets {
                slot,
                sets: std::mem::take(sets),
            },
            Loaded::Sigs(sigs, k) => Evidence::Signatures {
                slot: Some(slot),
                sigs,
                k: *k,
            },
            Loaded::Fps(fps, max_hamming) => {
                // Fingerprints are read by text, not by slot: one per local text.
                *fps = slot
                    .iter()
                    .map(|&s| fps.get(s as usize).copied().unwrap_or(0))
                    .collect();
                Evidence::Fingerprints {
                    fps,
                    max_hamming: *max_hamming,
                }
            }
        }
    }
}

impl Store<'_> {
    /// Bytes that loading `c`'s evidence takes.
    pub(crate) fn bytes(&self, c: u32) -> usize {
        match self {
            Store::Sets {
                involved, offsets, ..
            } => {
                let i = involved.binary_search(&c).expect("an involved text");
                (offsets[i + 1] - offsets[i]) as usize * 8 + 12 + PER_LOADED
            }
            Store::Sigs { k, .. } => k * 4 + PER_LOADED,
            Store::Fps { .. } => 8 + PER_LOADED,
        }
    }

    /// The evidence of texts `ids` (ascending), in order.
    pub(crate) fn load(&mut self, ids: &[u32]) -> Result<Loaded> {
        match self {
            Store::Sets {
                file,
                path,
                involved,
                offsets,
            } => {
                let mut sets = SetArena::default();
                let mut set = Vec::new();
                // `ids` ascend, so each is found from where the one before was.
                let mut from = 0;
                let ranges = ids.iter().map(|&c| {
                    let i = from + gallop(&involved[from..], c);
                    assert_eq!(involved.get(i), Some(&c), "an involved text");
                    from = i;
                    (offsets[i] * 8, offsets[i + 1] * 8)
                });
                let Some(file) = file.as_mut() else {
                    // No text is in a pair: none is asked for.
                    assert!(ids.is_empty(), "sets were written");
                    return Ok(Loaded::Sets(sets));
                };
                read_ranges(file, ranges, |bytes| {
                    set.clear();
                    set.extend(
                        bytes
                            .chunks_exact(8)
                            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))),
                    );
                    sets.push(&set);
                })
                .map_err(io_at(path))?;
                Ok(Loaded::Sets(sets))
            }
            Store::Sigs { file, path, k } => {
                let k = *k;
                let mut out = Vec::with_capacity(ids.len() * k);
                let rec = k as u64 * 4;
                let ranges = ids.iter().map(|&c| (c as u64 * rec, (c as u64 + 1) * rec));
                read_ranges(file, ranges, |bytes| {
                    out.extend(
                        bytes
                            .chunks_exact(4)
                            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes"))),
                    );
                })
                .map_err(io_at(path))?;
                Ok(Loaded::Sigs(out, k))
            }
            Store::Fps { fps, max_hamming } => Ok(Loaded::Fps(
                ids.iter().map(|&c| fps[c as usize]).collect(),
                *max_hamming,
            )),
        }
    }
}

/// The most bytes between two wanted ranges that [`read_ranges`] reads through rather
/// than seeking: a page costs less to read than another read call.
const READ_GAP: u64 = 4096;

/// The most bytes one read of [`read_ranges`] takes, unless one range is longer.
const READ_SPAN: u64 = 1 << 16;

/// Reads the byte `ranges` of `file` (ascending and disjoint, else each out of order
/// costs a read), handing each one's bytes to `f` in order. Ranges at most
/// [`READ_GAP`] apart share a read, up to [`READ_SPAN`] bytes; a range far from the one
/// before costs a read of its own size, not a buffer's worth.
fn read_ranges(
    file: &mut File,
    ranges: impl Iterator<Item = (u64, u64)>,
    mut f: impl FnMut(&[u8]),
) -> std::io::Result<()> {
    let (mut buf, mut span, mut at) = (Vec::new(), Vec::new(), None);
    let mut ranges = ranges.peekable();
    while let Some((lo, mut hi)) = ranges.next() {
        span.clear();
        span.push((lo, hi));
        while let Some(&(a, b)) = ranges.peek() {
            if a < hi || a - hi > READ_GAP || b - lo > READ_SPAN {
                break;
            }
            span.push((a, b));
            hi = b;
            ranges.next();
        }
        if at != Some(lo) {
            file.seek(SeekFrom::Start(lo))?;
        }
        buf.resize((hi - lo) as usize, 0);
        file.read_exact(&mut buf)?;
        at = Some(hi);
        for &(a, b) in &span {
            f(&buf[(a - lo) as usize..(b - lo) as usize]);
        }
    }
    Ok(())
}

/// Where `c` is or would go in the ascending `sorted`, searched from its start in
/// growing steps: cheap when it is near.
fn gallop(sorted: &[u32], c: u32) -> usize {
    let mut bound = 1;
    while bound < sorted.len() && sorted[bound] < c {
        bound *= 2;
    }
    let lo = bound / 2;
    lo + sorted[lo..(bound + 1).min(sorted.len())].partition_point(|&x| x < c)
}

/// The second pass in disk mode: the shingle sets of the involved texts, written to
/// `sets.bin` in id order, the input checked against the first pass's files.
pub(crate) struct Replayer<'d, 'c> {
    pub(crate) deduper: &'d Deduper,
    pub(crate) progress: Option<&'d Progress>,
    pub(crate) provenance: In<32>,
    pub(crate) canon_of: In<4>,
    pub(crate) keys: In<16>,
    /// Paragraphs and (provisional) text ids met so far.
    pub(crate) next: usize,
    pub(crate) next_text: u32,
    pub(crate) involved: &'c [u32],
    pub(crate) found: usize,
    pub(crate) out: Out,
    pub(crate) offsets: Vec<u64>,
}

impl Sink for Replayer<'_, '_> {
    fn pool(&self) -> Option<&rayon::ThreadPool> {
        self.deduper.pool.as_deref()
    }

    fn process(
        &mut self,
        pieces: &[Piece],
        split: Vec<Vec<Paragraph>>,
        split_time: Duration,
    ) -> Result<()> {
        let _ = split_time; // counted in the verification stage, which this pass is
        let Replayer {
            deduper,
            progress,
            provenance,
            canon_of,
            keys,
            next,
            next_text,
            involved,
            found,
            out,
            offsets,
        } = self;
        let look = |pid: usize, p: &Paragraph| {
            let first = provenance.next()?.map(|b| decode_paragraph(&b));
            check_paragraph(pid, first.as_ref(), p)?;
            let c = u32_at(&canon_of.next()?.expect("one per paragraph"));
            if c != *next_text {
                return Ok(None);
            }
            *next_text += 1;
            let key = u128::from_be_bytes(keys.next()?.expect("one per text"));
            if involved.get(*found) != Some(&c) {
                return Ok(None);
            }
            *found += 1;
            Ok(Some((c, key)))
        };
        let mut bytes = Vec::new();
        let keep = |_: u32, set: Vec<u64>| {
            bytes.clear();
            for v in &set {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            out.put(&bytes)?;
            let last = *offsets.last().expect("starts at 0");
            offsets.push(last + set.len() as u64);
            Ok(())
        };
        replay_batch(deduper, *progress, next, pieces, &split, look, keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::io::Write;

    proptest! {
        #[test]
        fn gallop_finds_where_partition_point_does(
            mut sorted in proptest::collection::vec(0u32..1000, 0..200),
            c in 0u32..1100,
        ) {
            sorted.sort_unstable();
            sorted.dedup();
            prop_assert_eq!(gallop(&sorted, c), sorted.partition_point(|&x| x < c));
        }

        /// Ranges near and far apart, empty, longer than a read's span, and out of
        /// order: each one's bytes, in the order asked.
        #[test]
        fn read_ranges_hands_each_range_its_bytes(
            picks in proptest::collection::vec((0u64..300_000, 0u64..70_000), 0..40),
            sort in any::<bool>(),
        ) {
            let data: Vec<u8> = (0..400_000u32).map(|i| (i % 251) as u8).collect();
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("data.bin");
            File::create(&path).unwrap().write_all(&data).unwrap();
            let mut ranges: Vec<(u64, u64)> = picks.iter().map(|&(a, n)| (a, a + n)).collect();
            if sort {
                // Ascending and disjoint, as the store asks for them.
                ranges.sort_unstable();
                let mut end = 0;
                ranges.retain(|&(a, b)| {
                    let keep = a >= end;
                    end = end.max(b);
                    keep
                });
            }
            let mut got = Vec::new();
            let mut file = File::open(&path).unwrap();
            read_ranges(&mut file, ranges.iter().copied(), |b| got.push(b.to_vec())).unwrap();
            let want: Vec<Vec<u8>> = ranges
                .iter()
                .map(|&(a, b)| data[a as usize..b as usize].to_vec())
                .collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn read_ranges_past_the_end_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.bin");
        File::create(&path).unwrap().write_all(&[7; 100]).unwrap();
        let mut file = File::open(&path).unwrap();
        let err = read_ranges(&mut file, [(50, 80), (90, 120)].into_iter(), |_| {}).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    }
}
