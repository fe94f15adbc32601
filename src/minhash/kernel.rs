//! The SIMD kernels, for benches, tests and experts: a re-export of the public items
//! of [`arch`](crate::arch), the bottom layer that holds every SIMD path of the crate
//! (see its docs).
//!
//! `PARADUP_KERNEL=scalar|avx2|avx512` forces a kernel; [`check_forced`] says whether
//! this CPU can run it.

pub use crate::arch::scalar::update as scalar;
pub use crate::arch::{
    COUNT_BITS_MIN, CpuFeatures, ForcedKernelError, Kernel, ascii_words_with, check_forced, choose,
    combine_windows_with, count_bits_with, gram_hashes_with, update_with, word_hashes_with,
};
