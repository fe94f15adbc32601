//! Option parsing shared by the measuring examples (`evaluate`, `exact_recall`).

use paradup::{DeduperBuilder, LshTuning, LshWeights, ShingleKind};

/// `wN` (word N-grams) or `cN` (character N-grams).
pub fn parse_kind(s: &str) -> Result<ShingleKind, String> {
    let (k, n) = s.split_at(s.len().min(1));
    let n: usize = n.parse().map_err(|_| format!("bad shingle spec {s:?}"))?;
    match k {
        "w" => Ok(ShingleKind::Words(n)),
        "c" => Ok(ShingleKind::Chars(n)),
        _ => Err(format!("bad shingle spec {s:?}: use wN or cN")),
    }
}

/// Sets the banding that `spec` asks for on `b`: `default` (the crate's tuning),
/// `FN:FP` (datasketch's rule with these false-negative and false-positive weights),
/// `rP` (least recall P at the threshold) or `BxR` (explicit bands and rows).
pub fn set_tuning(b: &mut DeduperBuilder, spec: &str) -> Result<(), String> {
    let bad = || format!("bad LSH tuning {spec:?}: use FN:FP, rP, BxR or default");
    let num = |x: &str| x.parse::<f64>().map_err(|_| bad());
    if spec == "default" {
        b.lsh_tuning(LshTuning::default());
    } else if let Some(r) = spec.strip_prefix('r') {
        b.lsh_tuning(LshTuning::Recall(num(r)?));
    } else if let Some((n, p)) = spec.split_once(':') {
        b.lsh_weights(LshWeights {
            false_negative: num(n)?,
            false_positive: num(p)?,
        });
    } else if let Some((bands, rows)) = spec.split_once('x') {
        let int = |x: &str| x.parse::<usize>().map_err(|_| bad());
        b.lsh_params(int(bands)?, int(rows)?);
    } else {
        return Err(bad());
    }
    Ok(())
}
