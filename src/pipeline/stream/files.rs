//! The spill files: records written in order, read in order, and merged in sorted runs.

use crate::error::{ErrorKind, Result};
use crate::paragraph::Paragraph;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// A file of records, written in order.
pub(crate) struct Out {
    pub(crate) w: BufWriter<File>,
    pub(crate) path: PathBuf,
    pub(crate) records: u64,
}

impl Out {
    pub(crate) fn create(path: PathBuf) -> Result<Out> {
        let f = File::create(&path).map_err(io_at(&path))?;
        Ok(Out {
            w: BufWriter::with_capacity(1 << 16, f),
            path,
            records: 0,
        })
    }

    pub(crate) fn put(&mut self, record: &[u8]) -> Result<()> {
        self.records += 1;
        self.w.write_all(record).map_err(io_at(&self.path))
    }

    /// Flushes; the file and its record count.
    pub(crate) fn finish(mut self) -> Result<(PathBuf, u64)> {
        self.w.flush().map_err(io_at(&self.path))?;
        Ok((self.path, self.records))
    }
}

/// Reads a file of `N`-byte records in order.
pub(crate) struct In<const N: usize> {
    pub(crate) r: BufReader<File>,
    pub(crate) path: PathBuf,
    pub(crate) left: u64,
}

impl<const N: usize> In<N> {
    pub(crate) fn open(path: &Path, records: u64) -> Result<In<N>> {
        let f = File::open(path).map_err(io_at(path))?;
        Ok(In {
            r: BufReader::with_capacity(1 << 16, f),
            path: path.to_path_buf(),
            left: records,
        })
    }

    pub(crate) fn next(&mut self) -> Result<Option<[u8; N]>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let mut rec = [0u8; N];
        self.r.read_exact(&mut rec).map_err(io_at(&self.path))?;
        Ok(Some(rec))
    }
}

pub(crate) fn u32_at(b: &[u8]) -> u32 {
    u32::from_be_bytes(b[..4].try_into().expect("4 bytes"))
}

pub(crate) fn u64_at(b: &[u8]) -> u64 {
    u64::from_be_bytes(b[..8].try_into().expect("8 bytes"))
}

pub(crate) fn encode_paragraph(p: &Paragraph) -> [u8; 32] {
    let mut b = [0u8; 32];
    b[..4].copy_from_slice(&p.doc.to_be_bytes());
    b[4..8].copy_from_slice(&p.index.to_be_bytes());
    b[8..16].copy_from_slice(&p.line.to_be_bytes());
    b[16..24].copy_from_slice(&(p.start as u64).to_be_bytes());
    b[24..].copy_from_slice(&(p.end as u64).to_be_bytes());
    b
}

pub(crate) fn decode_paragraph(b: &[u8; 32]) -> Paragraph {
    Paragraph {
        doc: u32_at(&b[..4]),
        index: u32_at(&b[4..8]),
        line: u64_at(&b[8..16]),
        start: u64_at(&b[16..24]) as usize,
        end: u64_at(&b[24..]) as usize,
    }
}

/// Sorted runs merged at once; more are first merged into fewer (open files).
pub(crate) const FAN_IN: usize = 64;

/// A k-way merge of sorted runs of `N`-byte records (big-endian fields, so that byte
/// order is the records' order).
pub(crate) struct Merge<const N: usize> {
    pub(crate) runs: Vec<In<N>>,
    pub(crate) heap: BinaryHeap<Reverse<([u8; N], usize)>>,
}

impl<const N: usize> Merge<N> {
    pub(crate) fn open<'a>(runs: impl IntoIterator<Item = &'a (PathBuf, u64)>) -> Result<Merge<N>> {
        let mut m = Merge {
            runs: Vec::new(),
            heap: BinaryHeap::new(),
        };
        for (path, n) in runs {
            let mut run = In::open(path, *n)?;
            if let Some(rec) = run.next()? {
                m.heap.push(Reverse((rec, m.runs.len())));
            }
            m.runs.push(run);
        }
        Ok(m)
    }

    pub(crate) fn next(&mut self) -> Result<Option<[u8; N]>> {
        let Some(mut top) = self.heap.peek_mut() else {
            return Ok(None);
        };
        let Reverse((rec, i)) = *top;
        // The run's next record takes the top's place: one sift down, not a pop and a
        // push.
        match self.runs[i].next()? {
            Some(next) => *top = Reverse((next, i)),
            None => {
                PeekMut::pop(top);
            }
        }
        Ok(Some(rec))
    }
}

/// Merges `runs` [`FAN_IN`] at a time into new runs (named `{tag}-mN-I.bin`, the old
/// ones removed) until at most [`FAN_IN`] remain.
pub(crate) fn narrow<const N: usize>(
    mut runs: Vec<(PathBuf, u64)>,
    dir: &Path,
    tag: &str,
) -> Result<Vec<(PathBuf, u64)>> {
    let mut round = 0;
    while runs.len() > FAN_IN {
        let mut next = Vec::new();
        for (i, group) in runs.chunks(FAN_IN).enumerate() {
            let mut out = Out::create(dir.join(format!("{tag}-m{round}-{i}.bin")))?;
            let mut m = Merge::<N>::open(group)?;
            while let Some(rec) = m.next()? {
                out.put(&rec)?;
            }
            next.push(out.finish()?);
            for (path, _) in group {
                let _ = fs::remove_file(path);
            }
        }
        runs = next;
        round += 1;
    }
    Ok(runs)
}

/// An I/O error at `path`, as the crate's error.
pub(crate) fn io_at(path: &Path) -> impl Fn(std::io::Error) -> crate::Error + '_ {
    move |e| ErrorKind::Io(format!("{}: {e}", path.display())).into()
}
