//! Fuzz target `normalize`: the checks live in `tests/integration/fuzz_checks.rs`, shared with
//! the regression test that replays the committed corpus.
#![no_main]

#[path = "../../tests/integration/fuzz_checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_normalize(data));
