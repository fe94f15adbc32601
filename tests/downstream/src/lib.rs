//! Nothing here: the tests in `tests/` are the downstream user's programs (see
//! `Cargo.toml`).
