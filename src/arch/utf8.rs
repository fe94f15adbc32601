//! A large input's UTF-8 checked on several threads, and the `String` made without
//! checking it again (the `unsafe` calls outside SIMD code).
//!
//! [`utf8_string`] checks a whole buffer in parts at once; [`fill_utf8`] checks each
//! piece of a buffer right after a thread fills it, while it is in cache (the threads
//! are rayon tasks on the current pool). Both give `String::from_utf8`'s answer, the
//! reference the tests compare against.

/// `bytes` as a `String` if it is UTF-8, validated in `threads` parts at once; else
/// `String::from_utf8`'s error. The same answer as `String::from_utf8(bytes)` (the
/// reference the tests compare against), which checks on one thread: 2.6 % of a
/// one-thread `dedup` run on the 48 MB corpus (perf), about 12 ms that a second thread
/// spent waiting.
///
/// Parts are cut before a byte that starts a character (not `0b10xx_xxxx`), so valid
/// text validates part by part; on any failure the whole is checked again on one
/// thread for the exact error.
pub(crate) fn utf8_string(
    bytes: Vec<u8>,
    threads: usize,
) -> Result<String, std::string::FromUtf8Error> {
    let parts = threads.clamp(1, 64);
    if parts == 1 || bytes.len() < (1 << 20) {
        return String::from_utf8(bytes);
    }
    let step = bytes.len().div_ceil(parts);
    // Cuts at character starts: at most three continuation bytes are skipped.
    let mut cuts = vec![0usize];
    for k in 1..parts {
        let mut at = (k * step).min(bytes.len());
        while at < bytes.len() && at - k * step < 4 && bytes[at] & 0xC0 == 0x80 {
            at += 1;
        }
        if at > *cuts.last().expect("starts with 0") {
            cuts.push(at);
        }
    }
    cuts.push(bytes.len());
    let valid = std::thread::scope(|s| {
        let checks: Vec<_> = cuts
            .windows(2)
            .skip(1)
            .map(|w| {
                let part = &bytes[w[0]..w[1]];
                s.spawn(move || std::str::from_utf8(part).is_ok())
            })
            .collect();
        let first = std::str::from_utf8(&bytes[..cuts[1]]).is_ok();
        checks
            .into_iter()
            .fold(first, |all, h| h.join().unwrap_or(false) && all)
    });
    if !valid {
        return String::from_utf8(bytes);
    }
    // SAFETY: `cuts` runs from 0 to `bytes.len()`, so the parts cover `bytes` end to
    // end, and each part passed `std::str::from_utf8`; UTF-8 strings put end to end
    // are UTF-8, so `bytes` is.
    Ok(unsafe { String::from_utf8_unchecked(bytes) })
}

/// How one piece of a buffer reads as UTF-8, for [`fill_utf8`].
#[derive(Clone, Copy, Debug, Default)]
struct Utf8Part {
    /// Continuation bytes at its start (at most 3): the end of a character that the
    /// piece before began.
    lead: usize,
    /// Where a character that the piece's end cuts begins (the piece's length if none).
    tail: usize,
    /// Whether `lead..tail` is UTF-8.
    ok: bool,
}

fn utf8_part(piece: &[u8]) -> Utf8Part {
    let lead = piece
        .iter()
        .take(3)
        .take_while(|&&b| b & 0xC0 == 0x80)
        .count();
    match std::str::from_utf8(&piece[lead..]) {
        Ok(_) => Utf8Part {
            lead,
            tail: piece.len(),
            ok: true,
        },
        // Cut short by the end of the piece: the rest is checked across the seam.
        Err(e) if e.error_len().is_none() => Utf8Part {
            lead,
            tail: lead + e.valid_up_to(),
            ok: true,
        },
        Err(_) => Utf8Part {
            lead,
            tail: lead,
            ok: false,
        },
    }
}

/// A buffer of `len` bytes that `fill(offset, piece)` fills a piece of `piece` bytes at
/// a time (the last may be shorter), in up to `threads` tasks on the current rayon pool
/// (the caller runs one) that each take the next piece when free; each piece is
/// checked as UTF-8 by the thread that filled it,
/// right after, while it is in cache. `None` if a `fill` returned false; else the bytes
/// as a `String` if they are UTF-8, or `String::from_utf8`'s error (the same answer:
/// the reference the tests compare against).
///
/// Before, [`utf8_string`] checked the whole buffer afterwards, and each reading
/// thread had one fixed share of it. Pieces handed out one at a time let a thread that
/// the machine slows down leave its share to the other. Reading the 48 MB corpus
/// (`dedup --stats-json`, "read", 12 runs alternating with the build before, best /
/// median): one thread 0.0352 / 0.0430 → 0.0348 / 0.0374 s, two threads 0.0184 /
/// 0.0240 → 0.0180 / 0.0219 s. The check itself costs the same (`from_utf8` is about 3.5
/// ms of a one-thread run either way, perf); the page faults of the new buffer and the
/// kernel's copy are most of the stage.
pub(crate) fn fill_utf8(
    len: usize,
    piece: usize,
    threads: usize,
    fill: impl Fn(usize, &mut [u8]) -> bool + Sync,
) -> Option<Result<String, std::string::FromUtf8Error>> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Mutex, PoisonError};
    let piece = piece.max(1);
    let count = len.div_ceil(piece);
    let mut buf = vec![0u8; len];
    let mut parts = vec![Utf8Part::default(); count];
    let failed = AtomicBool::new(false);
    {
        let work = Mutex::new(buf.chunks_mut(piece).zip(parts.iter_mut()).enumerate());
        let run = || {
            loop {
                let next = work.lock().unwrap_or_else(PoisonError::into_inner).next();
                let Some((i, (bytes, part))) = next else {
                    break;
                };
                if failed.load(Ordering::Relaxed) || !fill(i * piece, bytes) {
                    failed.store(true, Ordering::Relaxed);
                    break;
                }
                *part = utf8_part(bytes);
            }
        };
        // Tasks on the pool rather than threads of their own: the pool's threads are
        // then already running, on their own cores, when the pipeline starts right
        // after. Woken from sleep instead, a worker was now and then put on the core
        // of the thread that woke it, next to an idle one, for 10–40 ms (perf, every
        // CPU). Together with the deduper's work on the caller's pool (`dedup`, 2
        // windows of 16 and 20 runs alternating with the build before, two threads):
        // median 0.192 → 0.182 s and 0.199 → 0.191 s.
        rayon::in_place_scope(|s| {
            for _ in 1..threads.clamp(1, count.max(1)) {
                s.spawn(|_| run());
            }
            run();
        });
    }
    if failed.into_inner() {
        return None;
    }
    // The parts and the seams between them (the end of one character each) cover the
    // buffer end to end.
    let start = |i: usize| i * piece;
    let valid = parts.first().is_none_or(|p| p.lead == 0)
        && parts.iter().all(|p| p.ok)
        && parts
            .last()
            .is_none_or(|p| p.tail == len - start(count - 1))
        && parts.windows(2).enumerate().all(|(i, w)| {
            std::str::from_utf8(&buf[start(i) + w[0].tail..start(i + 1) + w[1].lead]).is_ok()
        });
    if !valid {
        return Some(String::from_utf8(buf));
    }
    // SAFETY: `buf` is this function's own and was changed only by `fill`, before the
    // piece it filled was checked. The first piece starts at 0 (no lead) and the last
    // ends at `len` (no cut character), piece `i` checked `lead_i..tail_i` as UTF-8,
    // and the seam from piece `i`'s tail to piece `i + 1`'s lead passed
    // `std::str::from_utf8`. These ranges lie end to end over `buf` (`lead <= tail <=`
    // the piece's length), and UTF-8 strings put end to end are UTF-8.
    Some(Ok(unsafe { String::from_utf8_unchecked(buf) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Checked in parts, bytes give `String::from_utf8`'s answer: text with
        /// multi-byte characters at every cut, and text with a bad byte somewhere.
        #[test]
        fn utf8_in_parts_equals_from_utf8(
            unit in "[a-zé€😀 \n]{1,12}",
            repeat in 1usize..200_000,
            bad in proptest::option::of((any::<prop::sample::Index>(), prop::sample::select(vec![0x80u8, 0xC3, 0xE2, 0xF0, 0xFF]))),
            threads in 1usize..6,
        ) {
            let mut bytes = unit.repeat(repeat).into_bytes();
            if let Some((at, b)) = bad {
                let at = at.index(bytes.len());
                bytes[at] = b;
            }
            let got = utf8_string(bytes.clone(), threads).map_err(|e| e.utf8_error());
            let want = String::from_utf8(bytes).map_err(|e| e.utf8_error());
            prop_assert_eq!(got, want);
        }

        /// Filled and checked piece by piece, bytes give `String::from_utf8`'s answer
        /// and come back whole, for pieces of any size, multi-byte characters across
        /// every seam; a failed fill gives nothing.
        #[test]
        fn fill_utf8_equals_from_utf8(
            unit in "[a-zé€😀 \n]{1,12}",
            repeat in 1usize..2_000,
            bad in proptest::option::of((any::<prop::sample::Index>(), prop::sample::select(vec![0x80u8, 0xBF, 0xC3, 0xE2, 0xF0, 0xFF]))),
            piece in prop_oneof![1usize..9, 9usize..300, Just(1usize << 20)],
            threads in 1usize..5,
            fail_at in proptest::option::of(any::<prop::sample::Index>()),
        ) {
            let mut bytes = unit.repeat(repeat).into_bytes();
            if let Some((at, b)) = bad {
                let at = at.index(bytes.len());
                bytes[at] = b;
            }
            let fill = |at: usize, part: &mut [u8]| {
                part.copy_from_slice(&bytes[at..at + part.len()]);
                true
            };
            let got = fill_utf8(bytes.len(), piece, threads, fill).expect("filled");
            let want = String::from_utf8(bytes.clone());
            prop_assert_eq!(
                got.as_ref().map_err(|e| e.utf8_error()),
                want.as_ref().map_err(|e| e.utf8_error())
            );
            let back = got.map_or_else(|e| e.into_bytes(), String::into_bytes);
            prop_assert_eq!(&back, &bytes);
            if let Some(at) = fail_at {
                let at = at.index(bytes.len());
                let fill = |from: usize, part: &mut [u8]| !(from..from + part.len()).contains(&at);
                prop_assert!(fill_utf8(bytes.len(), piece, threads, fill).is_none());
            }
        }
    }
}
