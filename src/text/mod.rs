//! Text processing: normalization, word splitting and shingling.
//!
//! The three steps are separate types so that each can be used and tested alone, and
//! each writes into a caller-owned buffer so that the hot path allocates nothing per
//! paragraph once the buffers have grown.

pub mod normalize;
pub mod shingle;
pub mod tokenize;
