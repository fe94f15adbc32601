//! Banded LSH over MinHash signatures: an incremental [`LshIndex`] and the sort-based
//! batch candidate search used by the pipeline.

use super::LshParams;
use ahash::{HashMap, HashMapExt};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The bucket key of band `band` of `sig`: xxh3 of the band's rows as little-endian
/// bytes, seeded with the band's index.
///
/// `buf` is scratch (kept by the caller to avoid an allocation per call).
///
/// # Panics
/// If the band lies outside `sig`.
#[inline]
pub fn band_key(params: LshParams, band: usize, sig: &[u32], buf: &mut Vec<u8>) -> u64 {
    let rows = &sig[band * params.rows..(band + 1) * params.rows];
    // Bands of up to 32 rows go through a stack buffer; longer ones through `buf`.
    let mut stack = [0u8; 128];
    let bytes: &[u8] = if rows.len() * 4 <= stack.len() {
        for (chunk, r) in stack.chunks_exact_mut(4).zip(rows) {
            chunk.copy_from_slice(&r.to_le_bytes());
        }
        &stack[..rows.len() * 4]
    } else {
        buf.clear();
        for r in rows {
            buf.extend_from_slice(&r.to_le_bytes());
        }
        buf
    };
    xxh3_64_with_seed(bytes, band as u64)
}

/// Appends to `edges` the candidate pairs of one band, in batch.
///
/// `keys` holds `(bucket key, id)` for every signature in the band (any order; it is
/// sorted here). Within each bucket (run of equal keys) every member is linked to the
/// bucket's first member (smallest id): `(first, member)`. A bucket of `m` members costs
/// `O(m)` edges, never `O(m²)`; the union of the edges over all bands connects every
/// bucket, which is what clustering needs.
pub fn bucket_edges(keys: &mut [(u64, u32)], edges: &mut Vec<(u32, u32)>) {
    keys.sort_unstable();
    let mut i = 0;
    while i < keys.len() {
        let (key, first) = keys[i];
        let mut j = i + 1;
        while j < keys.len() && keys[j].0 == key {
            edges.push((first, keys[j].1));
            j += 1;
        }
        i = j;
    }
}

/// An incremental LSH index: insert signatures one at a time, query with a signature.
///
/// Memory: per band, one hash-map entry per distinct bucket plus 4 bytes per id.
/// `insert` and `query` cost `O(bands)` hash-map operations (plus the size of the
/// buckets a query returns). Ids are caller-chosen `u32`s. The index reads `&self` for
/// queries, so one index serves many threads.
///
/// ```
/// use paradup::{LshIndex, LshParams, MinHasher};
///
/// let hasher = MinHasher::new(128);
/// let mut index = LshIndex::new(LshParams::new(16, 8, 128).unwrap());
/// index.insert(7, hasher.signature(&[1, 2, 3, 4, 5, 6, 7, 8]).slots());
/// index.insert(9, hasher.signature(&[100, 200]).slots());
/// let found = index.query(hasher.signature(&[1, 2, 3, 4, 5, 6, 7, 9]).slots());
/// assert_eq!(found, vec![7]);
/// ```
#[derive(Clone, Debug)]
pub struct LshIndex {
    params: LshParams,
    tables: Vec<HashMap<u64, Vec<u32>>>,
    len: usize,
}

impl LshIndex {
    /// An empty index.
    pub fn new(params: LshParams) -> LshIndex {
        LshIndex {
            params,
            tables: (0..params.bands).map(|_| HashMap::new()).collect(),
            len: 0,
        }
    }

    /// The banding.
    pub fn params(&self) -> LshParams {
        self.params
    }

    /// Number of signatures inserted.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was inserted.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Inserts `sig` under `id`.
    ///
    /// # Panics
    /// If `sig` is shorter than `bands · rows`.
    pub fn insert(&mut self, id: u32, sig: &[u32]) {
        let mut buf = Vec::new();
        for (band, table) in self.tables.iter_mut().enumerate() {
            let key = band_key(self.params, band, sig, &mut buf);
            table.entry(key).or_default().push(id);
        }
        self.len += 1;
    }

    /// The ids that share at least one band with `sig`, ascending, without duplicates.
    ///
    /// # Panics
    /// If `sig` is shorter than `bands · rows`.
    pub fn query(&self, sig: &[u32]) -> Vec<u32> {
        let mut out = Vec::new();
        self.query_into(sig, &mut out);
        out
    }

    /// [`query`](Self::query) into a caller-owned vector (cleared first).
    pub fn query_into(&self, sig: &[u32], out: &mut Vec<u32>) {
        out.clear();
        let mut buf = Vec::new();
        for (band, table) in self.tables.iter().enumerate() {
            let key = band_key(self.params, band, sig, &mut buf);
            if let Some(ids) = table.get(&key) {
                out.extend_from_slice(ids);
            }
        }
        out.sort_unstable();
        out.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_edges_link_to_first() {
        let mut keys = vec![(5, 9), (1, 4), (5, 2), (5, 7), (3, 1)];
        let mut edges = Vec::new();
        bucket_edges(&mut keys, &mut edges);
        assert_eq!(edges, vec![(2, 7), (2, 9)]);
    }

    #[test]
    fn huge_bucket_is_linear() {
        let mut keys: Vec<(u64, u32)> = (0..100_000).map(|i| (42, i)).collect();
        let mut edges = Vec::new();
        bucket_edges(&mut keys, &mut edges);
        assert_eq!(edges.len(), 99_999);
        assert!(edges.iter().all(|&(a, _)| a == 0));
    }
}
