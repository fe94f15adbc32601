//! Integration tests: the public API end to end.

mod accuracy;
mod adversarial;
mod api;
mod cancel;
mod dedup_cli;
mod determinism;
mod entry_points;
mod fuzz_checks;
mod fuzz_regressions;
mod golden;
mod hard_wrap;
mod index;
mod index_limits;
mod keep;
mod kernel_cli;
mod naive;
mod pairs;
mod props;
mod python_golden;
mod scale;
mod seed;
mod simhash;
mod stages;
mod stream;
