//! x86-64: the AVX2 and AVX-512 paths, one file per ISA, and the CPU feature
//! detection that decides which of them may run.
//!
//! Every function in [`avx2`] and [`avx512`] is `unsafe` with `#[target_feature]`:
//! the caller must have checked the CPU, which [`detect`] does once (the dispatching
//! functions of [`arch`](crate::arch) go through [`Kernel::available`](super::Kernel::available)).

pub(super) mod avx2;
pub(super) mod avx512;

use super::CpuFeatures;

/// The features of this CPU that the kernels need.
pub(super) fn detect() -> CpuFeatures {
    CpuFeatures {
        avx2: std::is_x86_feature_detected!("avx2"),
        avx512: std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512bw"),
    }
}

/// Whether the CPU has what [`avx512::ascii_words`] needs besides AVX-512F, DQ and BW:
/// AVX-512VBMI2 (`vpcompressb`) and POPCNT.
pub(super) fn has_vbmi2_popcnt() -> bool {
    std::is_x86_feature_detected!("avx512vbmi2") && std::is_x86_feature_detected!("popcnt")
}

/// Whether the CPU has POPCNT, which [`avx2::ascii_words`] needs besides AVX2.
pub(super) fn has_popcnt() -> bool {
    std::is_x86_feature_detected!("popcnt")
}

/// Hashes again, one at a time, the words of a group of eight that the SIMD word
/// hashes get wrong, those longer than eight bytes: bit `k` of `long` for the word
/// whose span (`start | len << 32`) was `spans[k]`.
fn rehash_long(text: &[u8], seed: u64, spans: &[u64; 8], mut long: u32, group: &mut [u64]) {
    while long != 0 {
        let k = long.trailing_zeros() as usize;
        let (s, len) = ((spans[k] & 0xffff_ffff) as usize, (spans[k] >> 32) as usize);
        group[k] = xxhash_rust::xxh3::xxh3_64_with_seed(&text[s..s + len], seed);
        long &= long - 1;
    }
}
