//! What the stream keeps beside memory under a limit: the spill directory, the budget
//! set aside for the work in progress, and the first pass's files.

use super::StreamConfig;
use super::files::{Out, encode_paragraph};
use crate::error::{ErrorKind, Result};
use crate::paragraph::Paragraph;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};

/// A hasher for keys that are already uniform hashes (the exact keys): their low bits.
#[derive(Default)]
pub(super) struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64;
    }
}

pub(super) type KeyMap = HashMap<u128, u32, BuildHasherDefault<PassThrough>>;

/// Sorted band runs on disk.
pub(super) struct Spill {
    pub(super) limit: Option<usize>,
    /// What the work in progress may take besides the counted state.
    pub(super) reserve: usize,
    pub(super) base: PathBuf,
    pub(super) dir: Option<crate::fsio::TempDir>,
    /// Per run, per band: (file, records).
    pub(super) runs: Vec<Vec<(PathBuf, u64)>>,
}

impl Spill {
    /// The spill directory, made on first use: private (mode 0700, an unpredictable
    /// name, never one that already existed), so no other user can plant a file or a
    /// link in it.
    pub(super) fn dir(&mut self) -> Result<&Path> {
        if self.dir.is_none() {
            let dir = crate::fsio::TempDir::new_in(&self.base, "paradup-spill-").map_err(|e| {
                ErrorKind::Io(format!(
                    "cannot create a spill directory in {}: {e}",
                    self.base.display()
                ))
            })?;
            self.dir = Some(dir);
        }
        Ok(self.dir.as_ref().expect("just made").path())
    }
}

/// Memory set aside from the limit for the work in progress (a batch being
/// processed on every thread, I/O buffers, the allocator's own slack), besides the
/// state the limit counts: 32 batches and 32 MiB, 160 MiB at the default batch size.
/// With 10 batches and 16 MiB, 10 M paragraphs under a 1 GiB limit peaked at
/// 1,126 MiB, 126 MiB above the state counted, in each stage.
pub(super) fn reserve(config: &StreamConfig) -> usize {
    config
        .batch_bytes
        .saturating_mul(32)
        .saturating_add(32 << 20)
}

/// The first pass's files.
pub(super) struct Disk {
    pub(super) dir: PathBuf,
    pub(super) provenance: Out,
    pub(super) canon_of: Out,
    pub(super) keys: Out,
    pub(super) key_runs: Vec<(PathBuf, u64)>,
}

impl Disk {
    pub(super) fn new(dir: &Path) -> Result<Disk> {
        Ok(Disk {
            dir: dir.to_path_buf(),
            provenance: Out::create(dir.join("provenance.bin"))?,
            canon_of: Out::create(dir.join("canon_of.bin"))?,
            keys: Out::create(dir.join("keys.bin"))?,
            key_runs: Vec::new(),
        })
    }

    /// Records a paragraph and its text's (provisional) id.
    pub(super) fn paragraph(&mut self, p: &Paragraph, text: u32) -> Result<()> {
        self.provenance.put(&encode_paragraph(p))?;
        self.canon_of.put(&text.to_be_bytes())
    }

    /// Records the exact key of a new (provisional) text id.
    pub(super) fn text(&mut self, key: u128) -> Result<()> {
        self.keys.put(&key.to_be_bytes())
    }

    /// Writes the key map as a sorted run and empties it.
    pub(super) fn spill_keys(&mut self, seen: &mut KeyMap) -> Result<()> {
        if seen.is_empty() {
            return Ok(());
        }
        let mut kv: Vec<(u128, u32)> = std::mem::take(seen).into_iter().collect();
        kv.sort_unstable();
        let mut out = Out::create(self.dir.join(format!("keys-{}.bin", self.key_runs.len())))?;
        let mut rec = [0u8; 20];
        for (key, id) in kv {
            rec[..16].copy_from_slice(&key.to_be_bytes());
            rec[16..].copy_from_slice(&id.to_be_bytes());
            out.put(&rec)?;
        }
        self.key_runs.push(out.finish()?);
        Ok(())
    }
}
