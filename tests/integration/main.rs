//! Integration tests: the public API end to end.

mod api;
mod golden;
mod naive;
mod props;
mod scale;
mod seed;
mod index;
mod adversarial;
mod dedup_cli;
mod simhash;
