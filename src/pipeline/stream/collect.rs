//! The first pass of a stream: the state kept per paragraph and per distinct text.

use super::super::assemble::Column;
use super::super::{Deduper, MinHashScratch, lap};
use super::StreamConfig;
use super::files::{Out, io_at};
use super::spill::{Disk, KeyMap, Spill, reserve};
use crate::cluster::StageTimings;
use crate::error::{ErrorKind, Result};
use crate::feed::{Piece, Sink};
use crate::paragraph::Paragraph;
use crate::progress::Progress;
use crate::simhash::SimHashScratch;
use crate::similarity::Similarity;
use crate::{Method, Verification};
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A growable array kept in fixed-size blocks of 32 MiB: growing never copies and
/// leaves no doubling slack (a `Vec` of 10 M band keys can hold 16.7 M of capacity,
/// and 19 bands of it are 1 GB of slack). Blocks of that size are mapped and
/// unmapped whole by the allocator (glibc maps allocations of 32 MiB or more
/// directly, whatever its adaptive threshold), so memory freed after a spill goes back
/// to the system: with 64 Ki-entry blocks, a 10 M-paragraph stream under a 1 GiB
/// limit kept the freed band keys resident and peaked at 1,494 MiB.
pub(super) struct Blocks<T> {
    pub(super) blocks: Vec<Vec<T>>,
    pub(super) len: usize,
}

impl<T: Copy> Blocks<T> {
    /// Entries per block.
    pub(super) const BLOCK: usize = (32 << 20) / std::mem::size_of::<T>();

    pub(super) fn new() -> Blocks<T> {
        Blocks {
            blocks: Vec::new(),
            len: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(super) fn push(&mut self, x: T) {
        match self.blocks.last_mut() {
            Some(b) if b.len() < Self::BLOCK => b.push(x),
            _ => {
                let mut b = Vec::with_capacity(Self::BLOCK);
                b.push(x);
                self.blocks.push(b);
            }
        }
        self.len += 1;
    }

    pub(super) fn extend(&mut self, items: impl IntoIterator<Item = T>) {
        for x in items {
            self.push(x);
        }
    }

    pub(super) fn get(&self, i: usize) -> Option<&T> {
        self.blocks.get(i / Self::BLOCK)?.get(i % Self::BLOCK)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.blocks.iter().flatten()
    }

    /// The entries in order, freeing each block once read.
    pub(super) fn into_iter(self) -> impl Iterator<Item = T> {
        self.blocks.into_iter().flatten()
    }
}

impl<T: Copy + Sync + Send> Column<T> for Blocks<T> {
    fn len(&self) -> usize {
        self.len
    }
    fn at(&self, i: usize) -> T {
        self[i]
    }
}

impl<T: Copy> std::ops::Index<usize> for Blocks<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        &self.blocks[i / Self::BLOCK][i % Self::BLOCK]
    }
}

/// The first pass's state.
pub(super) struct Collector<'d> {
    pub(super) deduper: &'d Deduper,
    pub(super) progress: Option<&'d Progress>,
    /// Paragraphs and distinct texts so far (in disk mode, texts may repeat across
    /// key windows: see [`disk`]).
    pub(super) count: usize,
    pub(super) distinct: usize,
    /// In memory: each paragraph, its text, each text's first paragraph.
    pub(super) paragraphs: Blocks<Paragraph>,
    pub(super) bytes: usize,
    pub(super) canon_of: Blocks<u32>,
    pub(super) canon: Blocks<u32>,
    pub(super) seen: KeyMap,
    /// Under a memory limit: the files that hold what the three above hold.
    pub(super) disk: Option<Disk>,
    /// Live distinct texts whose band keys are in `band_keys` (not spilled yet).
    pub(super) live_ids: Blocks<u32>,
    pub(super) band_keys: Vec<Blocks<u64>>,
    /// Kept signatures (signature verification, containment), `k` per distinct text.
    pub(super) sigs: SigStore,
    /// With containment, each distinct text's shingle-set size.
    pub(super) sizes: Vec<u32>,
    /// SimHash: each distinct text's fingerprint.
    pub(super) fps: Vec<u64>,
    pub(super) spill: Spill,
    pub(super) timings: StageTimings,
}

/// Kept signatures: in memory, in a file, or none.
pub(super) enum SigStore {
    None,
    Memory(Vec<u32>),
    File(Option<BufWriter<File>>, PathBuf),
}

/// Bytes of state per paragraph and per distinct text besides band keys, in memory.
const PER_PARAGRAPH: usize = std::mem::size_of::<Paragraph>() + 4;
const PER_DISTINCT: usize = 4;
/// Bytes per slot of the exact-key map's capacity: a 32-byte entry and a control
/// byte per bucket, at most 7 entries per 8 buckets.
const PER_KEY_SLOT: usize = 38;

impl<'d> Collector<'d> {
    /// The state of a new stream of `d` with `config` (in disk mode, its files made).
    pub(super) fn new(
        d: &'d Deduper,
        config: &StreamConfig,
        progress: Option<&'d Progress>,
    ) -> Result<Collector<'d>> {
        let containment = d.similarity == Similarity::Containment;
        let spill = Spill {
            limit: config.memory_limit,
            reserve: reserve(config),
            base: config.temp_dir.clone().unwrap_or_else(std::env::temp_dir),
            dir: None,
            runs: Vec::new(),
        };
        let minhash = d.method == Method::MinHash;
        let keep_sigs = minhash && (containment || d.verification == Verification::Signature);
        let mut col = Collector {
            deduper: d,
            progress,
            count: 0,
            distinct: 0,
            paragraphs: Blocks::new(),
            bytes: 0,
            canon_of: Blocks::new(),
            canon: Blocks::new(),
            seen: KeyMap::default(),
            disk: None,
            live_ids: Blocks::new(),
            band_keys: if minhash && !containment {
                (0..d.lsh.bands).map(|_| Blocks::new()).collect()
            } else {
                Vec::new()
            },
            sigs: SigStore::None,
            sizes: Vec::new(),
            fps: Vec::new(),
            spill,
            timings: StageTimings::default(),
        };
        if config.memory_limit.is_some() {
            col.disk = Some(Disk::new(col.spill.dir()?)?);
        }
        if keep_sigs {
            col.sigs = if config.memory_limit.is_some() {
                let path = col.spill.dir()?.join("signatures.bin");
                let f = File::create(&path).map_err(io_at(&path))?;
                SigStore::File(Some(BufWriter::with_capacity(1 << 16, f)), path)
            } else {
                SigStore::Memory(Vec::new())
            };
        }
        Ok(col)
    }
    pub(super) fn band_bytes(&self) -> usize {
        self.live_ids.len() * (4 + 8 * self.band_keys.len())
    }

    /// The state held in memory (what a memory limit counts).
    pub(super) fn held_bytes(&self) -> usize {
        self.paragraphs.len() * PER_PARAGRAPH
            + self.canon.len() * PER_DISTINCT
            + self.seen.capacity() * PER_KEY_SLOT
            + self.band_bytes()
            + match &self.sigs {
                SigStore::Memory(s) => s.len() * 4,
                _ => 0,
            }
            + self.fps.len() * 8
            + self.sizes.len() * 4
    }

    /// Writes the band keys held in memory as one sorted run per band.
    pub(super) fn spill_run(&mut self) -> Result<()> {
        if self.live_ids.is_empty() {
            return Ok(());
        }
        let run = self.spill.runs.len();
        let dir = self.spill.dir()?.to_path_buf();
        let ids = std::mem::replace(&mut self.live_ids, Blocks::new());
        let bands = std::mem::take(&mut self.band_keys);
        let nbands = bands.len();
        let files: Vec<Result<(PathBuf, u64)>> = self.deduper.in_pool(|| {
            bands
                .into_par_iter()
                .enumerate()
                .map(|(b, keys)| {
                    let mut kv: Vec<(u64, u32)> = Vec::with_capacity(keys.len());
                    kv.extend(keys.into_iter().zip(ids.iter().copied()));
                    kv.sort_unstable();
                    let path = dir.join(format!("run{run}-band{b}.bin"));
                    let mut out = Out::create(path)?;
                    let mut rec = [0u8; 12];
                    for &(key, id) in &kv {
                        rec[..8].copy_from_slice(&key.to_be_bytes());
                        rec[8..].copy_from_slice(&id.to_be_bytes());
                        out.put(&rec)?;
                    }
                    out.finish()
                })
                .collect()
        });
        self.spill
            .runs
            .push(files.into_iter().collect::<Result<_>>()?);
        self.band_keys = (0..nbands).map(|_| Blocks::new()).collect();
        Ok(())
    }
}

impl Sink for Collector<'_> {
    fn pool(&self) -> Option<&rayon::ThreadPool> {
        self.deduper.pool.as_deref()
    }

    fn process(
        &mut self,
        pieces: &[Piece],
        split: Vec<Vec<Paragraph>>,
        split_time: Duration,
    ) -> Result<()> {
        let d = self.deduper;
        self.timings.paragraphs += split_time;
        let mut clock = Instant::now();
        // Paragraphs with their piece, in order.
        let items: Vec<(u32, Paragraph)> = split
            .into_iter()
            .enumerate()
            .flat_map(|(i, ps)| ps.into_iter().map(move |p| (i as u32, p)))
            .collect();
        let total = self.count + items.len();
        if u32::try_from(total).is_err() {
            return Err(ErrorKind::TooManyParagraphs(total).into());
        }
        self.timings.paragraphs += lap(&mut clock);

        // Normalize and key every paragraph; keep the normalized texts of the batch.
        let normalized: Vec<Keyed> = d.in_pool(|| {
            items
                .par_chunks(CHUNK)
                .map_init(String::new, |buf, chunk| {
                    let mut keys = Vec::with_capacity(chunk.len());
                    let mut arena = String::new();
                    let mut ends = Vec::with_capacity(chunk.len());
                    for (pc, p) in chunk {
                        keys.push(d.exact_key_into(pieces[*pc as usize].text_of(p), buf));
                        arena.push_str(buf);
                        ends.push(arena.len());
                    }
                    (keys, arena, ends)
                })
                .collect()
        });
        let new = self.number(&items, &normalized)?;
        drop(items);
        self.timings.exact += lap(&mut clock);

        // Sketches of the new distinct texts.
        let text = |&(ci, j): &(u32, u32)| -> &str {
            let (_, arena, ends) = &normalized[ci as usize];
            let j = j as usize;
            let lo = if j == 0 { 0 } else { ends[j - 1] };
            &arena[lo..ends[j]]
        };
        match d.method {
            Method::MinHash => self.add_minhash(&new, &text)?,
            Method::SimHash { .. } => self.add_simhash(&new, &text),
        }
        self.timings.signatures += lap(&mut clock);
        // Past the limit (less what the work in progress takes), the band keys and
        // the key map go to disk.
        if let Some(limit) = self.spill.limit
            && self.held_bytes() > limit.saturating_sub(self.spill.reserve)
        {
            if d.method == Method::MinHash {
                self.spill_run()?;
            }
            if let Some(disk) = &mut self.disk {
                disk.spill_keys(&mut self.seen)?;
            }
            self.timings.candidates += lap(&mut clock);
        }
        Ok(())
    }
}

/// Paragraphs keyed per task of the first pass.
const CHUNK: usize = 256;

/// One task's exact keys, normalized texts end to end, and where each ends.
type Keyed = (Vec<u128>, String, Vec<usize>);

impl Collector<'_> {
    /// Exact duplicates of the batch `items` (keyed in chunks of [`CHUNK`]) against
    /// everything seen so far (in disk mode, so far in this key window), in order:
    /// each paragraph recorded with its text, and the new texts' places (chunk, index).
    fn number(&mut self, items: &[(u32, Paragraph)], keyed: &[Keyed]) -> Result<Vec<(u32, u32)>> {
        let mut new: Vec<(u32, u32)> = Vec::new();
        for (ci, (keys, _, _)) in keyed.iter().enumerate() {
            for (j, key) in keys.iter().enumerate() {
                let (_, p) = items[ci * CHUNK + j];
                let pid = self.count as u32;
                let next = self.distinct as u32;
                let c = *self.seen.entry(*key).or_insert(next);
                if c == next {
                    self.distinct += 1;
                    new.push((ci as u32, j as u32));
                    match &mut self.disk {
                        Some(disk) => disk.text(*key)?,
                        None => self.canon.push(pid),
                    }
                }
                match &mut self.disk {
                    Some(disk) => disk.paragraph(&p, c)?,
                    None => {
                        self.canon_of.push(c);
                        self.paragraphs.push(p);
                    }
                }
                self.count += 1;
                self.bytes += p.len();
            }
        }
        if let Some(pr) = self.progress {
            pr.add(items.len() as u64);
            pr.set_paragraphs(self.count as u64);
        }
        Ok(new)
    }

    /// The SimHash fingerprints of the new texts `new` (normalized texts from `text`).
    fn add_simhash<'t>(
        &mut self,
        new: &[(u32, u32)],
        text: &(impl Fn(&(u32, u32)) -> &'t str + Sync),
    ) {
        let d = self.deduper;
        let (fps, live): (Vec<u64>, Vec<bool>) = d.in_pool(|| {
            new.par_iter()
                .map_init(SimHashScratch::default, |scratch, at| {
                    d.fingerprint(text(at), scratch)
                })
                .unzip()
        });
        let first = self.distinct - new.len();
        self.live_ids.extend(
            (0..new.len())
                .filter(|&i| live[i])
                .map(|i| (first + i) as u32),
        );
        self.fps.extend_from_slice(&fps);
    }

    /// The MinHash sketches of the new texts `new` (normalized texts from `text`):
    /// band keys appended band by band, signatures kept where the mode keeps them.
    fn add_minhash<'t>(
        &mut self,
        new: &[(u32, u32)],
        text: &(impl Fn(&(u32, u32)) -> &'t str + Sync),
    ) -> Result<()> {
        let d = self.deduper;
        let k = d.hasher.num_perm();
        let nb = self.band_keys.len();
        let sized = d.similarity == Similarity::Containment;
        // Signatures only when they are kept; band keys text by text.
        let keep = !matches!(self.sigs, SigStore::None);
        let mut sigs = vec![0u32; if keep { new.len() * k } else { 0 }];
        let mut keys = vec![0u64; new.len() * nb.max(1)];
        let lsh = (nb > 0).then_some(d.lsh);
        let (live, sizes): (Vec<bool>, Vec<u32>) = d.in_pool(|| {
            let sketch = |scratch: &mut MinHashScratch, at, sig, keys: &mut [u64]| {
                d.sketch_minhash(text(at), sized, lsh, scratch, sig, &mut keys[..nb])
            };
            if keep {
                sigs.par_chunks_mut(k)
                    .zip(keys.par_chunks_mut(nb.max(1)))
                    .zip(new.par_iter())
                    .map_init(MinHashScratch::default, |scratch, ((sig, out), at)| {
                        sketch(scratch, at, Some(sig), out)
                    })
                    .unzip()
            } else {
                keys.par_chunks_mut(nb.max(1))
                    .zip(new.par_iter())
                    .map_init(MinHashScratch::default, |scratch, (out, at)| {
                        sketch(scratch, at, None, out)
                    })
                    .unzip()
            }
        });
        let first = self.distinct - new.len();
        let live_new: Vec<u32> = (0..new.len() as u32)
            .filter(|&i| live[i as usize])
            .collect();
        d.in_pool(|| {
            self.band_keys
                .par_iter_mut()
                .enumerate()
                .for_each(|(b, band)| {
                    band.extend(live_new.iter().map(|&i| keys[i as usize * nb + b]));
                });
        });
        debug_assert!(nb == 0 || self.band_keys[0].len() >= live_new.len());
        self.live_ids
            .extend(live_new.iter().map(|&i| (first + i as usize) as u32));
        if sized {
            self.sizes.extend_from_slice(&sizes);
        }
        match &mut self.sigs {
            SigStore::None => {}
            SigStore::Memory(all) => all.extend_from_slice(&sigs),
            SigStore::File(w, path) => {
                let w = w.as_mut().expect("open during the first pass");
                for s in &sigs {
                    w.write_all(&s.to_le_bytes()).map_err(io_at(path))?;
                }
            }
        }
        Ok(())
    }
}
