//! Integration tests: the public API end to end.

mod seed;
mod index;
mod adversarial;
mod dedup_cli;
mod simhash;
