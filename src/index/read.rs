//! Reading an index file: the header checked against the bounds and the input's size
//! before anything sized by the file is allocated, then the entries.

use super::*;

/// Bytes read (and allocated) at a time from a reader whose length is unknown.
pub(super) const READ_CHUNK: usize = 1 << 20;

/// Reads an index from `r`; `size` is the number of bytes `r` holds when known (a
/// file's length), checked against the header before the entries are read.
pub(super) fn read_index(mut r: impl Read, size: Option<u64>) -> Result<Index> {
    let mut bytes = vec![0; HEADER];
    let n = read_full(&mut r, &mut bytes)?;
    bytes.truncate(n);
    // A short header is a truncated file whatever `size` says.
    let known = if n < HEADER { Some(n as u64) } else { size };
    let header = Header::parse(&bytes, known)?;
    let total = header.total_len();
    if size.is_some() {
        // The file's size equals `total` (checked by `parse`): allocate it once.
        bytes.reserve_exact(total - HEADER);
    }
    while bytes.len() < total {
        let start = bytes.len();
        let want = (total - start).min(READ_CHUNK);
        // `reserve` grows geometrically, so the copies stay linear.
        bytes.reserve(want);
        bytes.resize(start + want, 0);
        let got = read_full(&mut r, &mut bytes[start..])?;
        bytes.truncate(start + got);
        if got < want {
            return Err(Header::truncated(total, bytes.len()));
        }
    }
    if size.is_none() {
        let extra = count_rest(&mut r, READ_CHUNK as u64)?;
        if extra > 0 {
            return Err(Header::truncated(
                total,
                total.saturating_add(usize::try_from(extra).unwrap_or(usize::MAX)),
            ));
        }
    }
    header.decode(&bytes)
}

/// Reads into `buf` until it is full or `r` ends; returns the bytes read.
pub(super) fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<usize> {
    let mut at = 0;
    while at < buf.len() {
        match r.read(&mut buf[at..]) {
            Ok(0) => break,
            Ok(n) => at += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ErrorKind::Io(e.to_string()).into()),
        }
    }
    Ok(at)
}

/// Counts the bytes left in `r`, reading no more than `limit` of them.
pub(super) fn count_rest(r: &mut impl Read, limit: u64) -> Result<u64> {
    std::io::copy(&mut r.take(limit), &mut std::io::sink())
        .map_err(|e| ErrorKind::Io(e.to_string()).into())
}

/// The largest `num_perm` an index file may declare: its permutation table is then
/// 1 MiB and one entry 256 KiB. Indexes with more permutations can be built in memory
/// but not saved.
pub const MAX_NUM_PERM: usize = 1 << 16;
/// The largest shingle size an index file may declare.
pub const MAX_SHINGLE_SIZE: usize = 1 << 16;
/// The most entries an index file may declare: slots are `u32`.
pub const MAX_ENTRIES: u64 = u32::MAX as u64;

/// A checked header: parameters within bounds and a length that matches.
pub(super) struct Header {
    params: IndexParams,
    count: usize,
}

impl Header {
    fn truncated(expected: usize, found: usize) -> crate::Error {
        ErrorKind::IndexTruncated { expected, found }.into()
    }

    /// Length of the whole file: header, entries and checksum.
    fn total_len(&self) -> usize {
        HEADER + self.count * (24 + 4 * self.params.num_perm) + 8
    }

    /// Checks the header at the start of `bytes` against the [bounds](self#bounds)
    /// and, when `size` (the length of the whole input) is known, against it. Reads
    /// only `bytes[..HEADER]` and allocates nothing sized by the input.
    pub(super) fn parse(bytes: &[u8], size: Option<u64>) -> Result<Header> {
        let found = |size: u64| usize::try_from(size).unwrap_or(usize::MAX);
        let short = || Header::truncated(HEADER + 8, bytes.len());
        if bytes.len() < MAGIC.len() {
            return Err(if MAGIC.starts_with(bytes) {
                short()
            } else {
                ErrorKind::IndexMagic.into()
            });
        }
        if &bytes[..8] != MAGIC {
            return Err(ErrorKind::IndexMagic.into());
        }
        if bytes.len() < 12 {
            return Err(short());
        }
        let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
        let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap());
        let version = u32_at(8);
        if version != FORMAT_VERSION {
            return Err(ErrorKind::IndexVersion(version).into());
        }
        if bytes.len() < HEADER || size.is_some_and(|s| s < (HEADER + 8) as u64) {
            return Err(Header::truncated(
                HEADER + 8,
                found(size.unwrap_or(bytes.len() as u64)),
            ));
        }
        let corrupt = |what: String| -> crate::Error { ErrorKind::IndexCorrupt(what).into() };
        let flags = bytes[12];
        if flags > 7 {
            return Err(corrupt(format!("normalizer flags {flags:#04x}")));
        }
        if bytes[14..16] != [0, 0] {
            return Err(corrupt("reserved bytes 14..16 (not zero)".to_string()));
        }
        let size_n = u32_at(16) as usize;
        if !(1..=MAX_SHINGLE_SIZE).contains(&size_n) {
            return Err(corrupt(format!(
                "shingle size {size_n} (must be 1 to {MAX_SHINGLE_SIZE})"
            )));
        }
        let shingles = match bytes[13] {
            0 => ShingleKind::Words(size_n),
            1 => ShingleKind::Chars(size_n),
            kind => return Err(corrupt(format!("shingle kind {kind} (must be 0 or 1)"))),
        };
        let num_perm = u32_at(28) as usize;
        if !(1..=MAX_NUM_PERM).contains(&num_perm) {
            return Err(corrupt(format!(
                "num_perm {num_perm} (must be 1 to {MAX_NUM_PERM})"
            )));
        }
        let (bands, rows) = (u32_at(32) as usize, u32_at(36) as usize);
        let lsh = LshParams { bands, rows };
        if lsh.validate(num_perm).is_err() {
            return Err(corrupt(format!(
                "LSH banding {bands} bands × {rows} rows (must be at least 1 each, with \
                 bands × rows <= num_perm = {num_perm})"
            )));
        }
        let threshold = f64::from_bits(u64_at(40));
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(corrupt(format!(
                "threshold {threshold} (must be in (0, 1])"
            )));
        }
        let count = u64_at(48);
        if count > MAX_ENTRIES {
            return Err(corrupt(format!(
                "entry count {count} (at most {MAX_ENTRIES})"
            )));
        }
        // At most 2^32 entries of 262,168 bytes: no overflow in u64.
        let expected = HEADER as u64 + count * (24 + 4 * num_perm as u64) + 8;
        if let Some(size) = size
            && size != expected
        {
            return Err(Header::truncated(found(expected), found(size)));
        }
        // Here `expected` is at most the input's size (or, for a reader, only a
        // target read in bounded chunks), so it fits a usize where it matters.
        let Ok(count) = usize::try_from(count) else {
            return Err(corrupt(format!("entry count {count} (too large here)")));
        };
        if usize::try_from(expected).is_err() {
            return Err(corrupt(format!("length {expected} (too large here)")));
        }
        Ok(Header {
            params: IndexParams {
                normalizer: Normalizer::new()
                    .lowercase(flags & 1 != 0)
                    .nfkc(flags & 2 != 0)
                    .strip_punctuation(flags & 4 != 0),
                shingles,
                seed: u64_at(20),
                num_perm,
                lsh,
                threshold,
            },
            count,
        })
    }

    /// Decodes the whole input, whose header is `self` and whose length was checked.
    pub(super) fn decode(self, bytes: &[u8]) -> Result<Index> {
        let total = self.total_len();
        if bytes.len() != total {
            return Err(Header::truncated(total, bytes.len()));
        }
        let body = total - 8;
        let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap());
        if xxh3_64(&bytes[..body]) != u64_at(body) {
            return Err(ErrorKind::IndexChecksum.into());
        }
        let k = self.params.num_perm;
        let count = self.count;
        let mut index = Index::with_params(self.params)
            .map_err(|e| ErrorKind::IndexCorrupt(format!("parameters: {e}")))?;
        // Sized by `count`, which the length check tied to the bytes in hand.
        index.keys.reserve(count);
        index.exact.reserve(count);
        index.sigs.reserve(count * k);
        index.alive.reserve(count);
        index.by_key.reserve(count);
        let mut at = HEADER;
        for slot in 0..count {
            let key = u64_at(at);
            let exact = u128::from_le_bytes(bytes[at + 8..at + 24].try_into().unwrap());
            at += 24;
            if index.by_key.insert(key, slot as u32).is_some() {
                return Err(
                    ErrorKind::IndexCorrupt(format!("entries: duplicate key {key}")).into(),
                );
            }
            index.keys.push(key);
            index.exact.push(exact);
            index.sigs.extend(
                bytes[at..at + 4 * k]
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes(c.try_into().unwrap())),
            );
            at += 4 * k;
            index.alive.push(true);
            index.live += 1;
        }
        index.link_all();
        Ok(index)
    }
}
