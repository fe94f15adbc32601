//! The second pass of a stream (exact verification): the shingle sets of the texts in
//! candidate pairs, with a check that the input did not change.

use super::super::assemble::SetArena;
use super::super::{Deduper, Scratch};
use super::collect::Collector;
use super::{StreamConfig, new_batcher};
use crate::error::{ErrorKind, Result};
use crate::feed::{Feed, Piece, Sink};
use crate::paragraph::Paragraph;
use crate::progress::Progress;
use rayon::prelude::*;
use std::time::Duration;

/// Checks that the second pass meets paragraph `pid` as the first did (`first`).
pub(super) fn check_paragraph(pid: usize, first: Option<&Paragraph>, p: &Paragraph) -> Result<()> {
    if first == Some(p) {
        return Ok(());
    }
    Err(ErrorKind::ReplayMismatch(format!(
        "paragraph {pid} (document {}, index {}) differs from the first pass",
        p.doc, p.index
    ))
    .into())
}

/// The shingle sets of the texts `wanted` (text id, raw text, the exact key the first
/// pass found), in order, computed in parallel; an error when a text's key differs
/// from the first pass's (the input changed).
fn replay_sets(d: &Deduper, wanted: &[(u32, &str, u128)]) -> Result<Vec<Vec<u64>>> {
    let found: Vec<(Vec<u64>, u128)> = d.in_pool(|| {
        wanted
            .par_iter()
            .map_init(Scratch::default, |scratch, &(_, raw, _)| {
                let mut set = Vec::new();
                let key = d.exact_key_into(raw, &mut scratch.text);
                d.shingler
                    .shingles_into(&scratch.text, &mut scratch.shingle, &mut set);
                (set, key)
            })
            .collect()
    });
    wanted
        .iter()
        .zip(found)
        .map(|(&(c, _, key), (set, replayed))| {
            if key == replayed {
                Ok(set)
            } else {
                Err(ErrorKind::ReplayMismatch(format!(
                    "the text of distinct paragraph {c} differs from the first pass"
                ))
                .into())
            }
        })
        .collect()
}

/// One batch of the second pass, for the in-memory and the disk replayer alike. The
/// batch's paragraphs are numbered from `next` on; `look(pid, p)` checks paragraph
/// `pid` against the first pass and says whether its text is wanted (the text id and
/// the exact key the first pass found); the sets of the wanted texts go to `keep` in
/// order; the progress counts the paragraphs.
pub(super) fn replay_batch(
    d: &Deduper,
    progress: Option<&Progress>,
    next: &mut usize,
    pieces: &[Piece],
    split: &[Vec<Paragraph>],
    mut look: impl FnMut(usize, &Paragraph) -> Result<Option<(u32, u128)>>,
    mut keep: impl FnMut(u32, Vec<u64>) -> Result<()>,
) -> Result<()> {
    let mut wanted: Vec<(u32, &str, u128)> = Vec::new();
    for (pc, paras) in pieces.iter().zip(split) {
        for p in paras {
            let pid = *next;
            *next += 1;
            if let Some((c, key)) = look(pid, p)? {
                wanted.push((c, pc.text_of(p), key));
            }
        }
    }
    for (&(c, _, _), set) in wanted.iter().zip(replay_sets(d, &wanted)?) {
        keep(c, set)?;
    }
    if let Some(pr) = progress {
        pr.add(split.iter().map(Vec::len).sum::<usize>() as u64);
    }
    Ok(())
}

/// The second pass (exact verification): shingle sets of the involved texts.
pub(super) struct Replayer<'d, 'c> {
    pub(super) deduper: &'d Deduper,
    pub(super) progress: Option<&'d Progress>,
    pub(super) collected: &'c Collector<'d>,
    /// Slot of each distinct text (`u32::MAX`: not involved).
    pub(super) slot: &'c [u32],
    /// The exact key of each involved text, by slot: the check that the second pass
    /// reads the same text.
    pub(super) keys: &'c [u128],
    /// The sets found so far, by slot: the second pass meets the involved texts in
    /// slot order, since distinct texts are numbered by first occurrence.
    pub(super) sets: SetArena,
    pub(super) next: usize,
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
        let col = self.collected;
        let (slot, keys) = (self.slot, self.keys);
        let sets = &mut self.sets;
        let look = |pid: usize, p: &Paragraph| {
            check_paragraph(pid, col.paragraphs.get(pid), p)?;
            let c = col.canon_of[pid];
            let at = slot[c as usize];
            let first = col.canon[c as usize] as usize == pid;
            Ok((first && at != u32::MAX).then(|| (c, keys[at as usize])))
        };
        let keep = |c: u32, set: Vec<u64>| {
            assert_eq!(
                sets.len(),
                slot[c as usize] as usize,
                "involved texts come in slot order"
            );
            sets.push(&set);
            Ok(())
        };
        replay_batch(
            self.deduper,
            self.progress,
            &mut self.next,
            pieces,
            &split,
            look,
            keep,
        )
    }
}

impl Deduper {
    /// The second pass of a stream (exact verification): the shingle sets of the texts
    /// `ids` (ascending; `slot` of each distinct text among them) in slot order, with
    /// the check that `source` pushes what the first pass (`col`) saw.
    pub(super) fn replay<F>(
        &self,
        config: &StreamConfig,
        source: &mut F,
        col: &mut Collector<'_>,
        (ids, slot): (&[u32], &[u32]),
        documents: usize,
    ) -> Result<SetArena>
    where
        F: FnMut(&mut Feed<'_>) -> Result<()>,
    {
        let progress = col.progress;
        // The exact keys of the involved texts; the map of all goes.
        let mut keys = vec![0u128; ids.len()];
        for (&key, &c) in &std::mem::take(&mut col.seen) {
            if let Some(&at) = slot.get(c as usize).filter(|&&at| at != u32::MAX) {
                keys[at as usize] = key;
            }
        }
        let mut sets = SetArena::default();
        if !ids.is_empty() {
            let mut replay = Replayer {
                deduper: self,
                progress,
                collected: col,
                slot,
                keys: &keys,
                sets: std::mem::take(&mut sets),
                next: 0,
            };
            let mut batcher = new_batcher(self, config);
            source(&mut Feed {
                batcher: &mut batcher,
                sink: &mut replay,
            })?;
            batcher.flush(&mut replay)?;
            if replay.next != col.paragraphs.len() || batcher.docs as usize != documents {
                return Err(ErrorKind::ReplayMismatch(format!(
                    "the second pass gave {} paragraphs in {} documents, the first {} in {}",
                    replay.next,
                    batcher.docs,
                    col.paragraphs.len(),
                    documents
                ))
                .into());
            }
            sets = replay.sets;
        }
        Ok(sets)
    }
}
