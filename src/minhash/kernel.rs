//! Which SIMD kernel runs, for reports, benches and tests: the public part of the
//! crate's private `arch` layer, which holds every SIMD path of the crate. The
//! kernels themselves are private; [`update_with`] (the MinHash update under a
//! chosen kernel) stays for the benches that compare them.
//!
//! `PARADUP_KERNEL=scalar|avx2|avx512` forces a kernel; [`check_forced`] says whether
//! this CPU can run it.

pub use crate::arch::{CpuFeatures, ForcedKernelError, Kernel, check_forced, choose, update_with};
