//! Column texts of the native format: seconds, GPU model lists and load steps.

use crate::domain::LoadStep;
use crate::units::SimTime;

/// `T4|V100M16` → `["T4", "V100M16"]`; empty pieces and spaces around names are dropped.
pub(super) fn split_models(text: &str) -> Vec<String> {
    text.split('|')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reads a load column: `offset:u` steps separated by `;`, offsets in seconds after submit,
/// strictly increasing, each `u` in (0, 1]. The error is the whole message.
pub(super) fn parse_load(text: &str) -> Result<Vec<LoadStep>, String> {
    let mut steps: Vec<LoadStep> = Vec::new();
    for (i, piece) in text.split(';').enumerate() {
        let piece = piece.trim();
        let n = i + 1;
        let Some((at, u)) = piece.split_once(':') else {
            return Err(format!(
                "step {n} `{piece}` is not `seconds:u` (steps look like 0:0.4;60:0.55)"
            ));
        };
        let at = secs_text_to_ms(at.trim())
            .map_err(|why| format!("step {n}: offset {} {why}", at.trim()))?;
        let u = match u.trim().parse::<f64>() {
            Ok(x) if x > 0.0 && x <= 1.0 => x,
            _ => return Err(format!("step {n}: u `{}` is not in (0, 1]", u.trim())),
        };
        if let Some(prev) = steps.last()
            && at <= prev.at
        {
            return Err(format!(
                "step {n}: offset {} s is not after the previous step's {} s",
                ms_to_secs_text(at),
                ms_to_secs_text(prev.at)
            ));
        }
        steps.push(LoadStep { at, u });
    }
    Ok(steps)
}

/// The load column's text for `steps` (reads back to the same steps).
pub(super) fn load_text(steps: &[LoadStep]) -> String {
    let parts: Vec<String> = steps
        .iter()
        .map(|s| format!("{}:{}", ms_to_secs_text(s.at), s.u))
        .collect();
    parts.join(";")
}

/// Converts seconds written in the file to milliseconds.
///
/// Plain decimals ("12", "1.5", "0.001") are converted digit by digit, so every millisecond value
/// reads back exactly whatever its size (an `f64` would drift above 2^53 ms); more than three
/// decimals round half up. Other spellings that Rust parses as a number ("1e3") go through
/// `f64`. The error is the tail of a message that starts with the value.
pub(super) fn secs_text_to_ms(text: &str) -> Result<SimTime, &'static str> {
    const TOO_LARGE: &str = "is too large (at most 18446744073709551.615 seconds)";
    let t = text.strip_prefix('+').unwrap_or(text);
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let plain = !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit());
    if plain {
        let mut secs: u64 = 0;
        for b in int.bytes() {
            secs = secs
                .checked_mul(10)
                .and_then(|s| s.checked_add(u64::from(b - b'0')))
                .ok_or(TOO_LARGE)?;
        }
        let digits = frac.as_bytes();
        let digit = |i: usize| digits.get(i).map_or(0, |b| u64::from(b - b'0'));
        let ms_part = digit(0) * 100 + digit(1) * 10 + digit(2) + u64::from(digit(3) >= 5);
        return secs
            .checked_mul(1000)
            .and_then(|ms| ms.checked_add(ms_part))
            .ok_or(TOO_LARGE);
    }
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x < 0.0 => Err("is negative (expected seconds >= 0)"),
        Ok(x) if x.is_finite() => {
            let ms = (x * 1000.0).round();
            // 2^64 is exactly representable; anything at or above it does not fit.
            if ms >= 18_446_744_073_709_551_616.0 {
                Err(TOO_LARGE)
            } else {
                Ok(ms as SimTime)
            }
        }
        _ => Err("is not a number of seconds"),
    }
}

/// Milliseconds as seconds with at most three decimals and no trailing zeros: 1500 → "1.5".
/// Integer arithmetic, so no float noise ever reaches the file.
pub(super) fn ms_to_secs_text(ms: SimTime) -> String {
    let (s, frac) = (ms / 1000, ms % 1000);
    if frac == 0 {
        s.to_string()
    } else {
        let text = format!("{s}.{frac:03}");
        text.trim_end_matches('0').to_string()
    }
}
