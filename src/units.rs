//! Simulated time and human-readable durations ("90s", "30m", "12h", "7d").
//!
//! Simulated time is an integer count of milliseconds so that event ordering never depends on
//! floating-point rounding.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Simulated time in milliseconds since the start of the run.
pub type SimTime = u64;

pub const MS_PER_SEC: u64 = 1_000;
pub const MS_PER_HOUR: u64 = 3_600_000;

/// Converts seconds (possibly fractional, non-negative) to simulated milliseconds, rounding to
/// the nearest millisecond.
pub fn secs_to_ms(s: f64) -> SimTime {
    (s * 1000.0).round().max(0.0) as SimTime
}

pub fn ms_to_secs(t: SimTime) -> f64 {
    t as f64 / 1000.0
}

pub fn ms_to_hours(t: SimTime) -> f64 {
    t as f64 / MS_PER_HOUR as f64
}

/// A span of simulated time written as a number of seconds or a string with a unit suffix
/// (`ms`, `s`, `m`, `h`, `d`, `w`), e.g. `"1.5h"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dur(pub SimTime);

impl Dur {
    pub fn ms(self) -> SimTime {
        self.0
    }
    pub fn secs(self) -> f64 {
        ms_to_secs(self.0)
    }
    pub fn from_secs(s: f64) -> Self {
        Dur(secs_to_ms(s))
    }
}

/// Parses `"90"`, `"90s"`, `"1.5h"`, `"250ms"`, `"7d"`, `"2w"`.
pub fn parse_duration(text: &str) -> Result<Dur, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (expected e.g. 90s, 30m, 12h, 7d)"))?;
    let scale_ms = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1_000.0,
        "ms" => 1.0,
        "m" | "min" | "mins" => 60_000.0,
        "h" | "hr" | "hrs" => 3_600_000.0,
        "d" | "day" | "days" => 86_400_000.0,
        "w" | "week" | "weeks" => 604_800_000.0,
        other => {
            return Err(format!(
                "`{text}`: unknown time unit `{other}` (use ms, s, m, h, d or w)"
            ));
        }
    };
    if !value.is_finite() || value < 0.0 {
        return Err(format!(
            "`{text}`: a duration must be a non-negative number"
        ));
    }
    Ok(Dur((value * scale_ms).round() as SimTime))
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        const UNITS: [(u64, &str); 5] = [
            (604_800_000, "w"),
            (86_400_000, "d"),
            (3_600_000, "h"),
            (60_000, "m"),
            (1_000, "s"),
        ];
        for (scale, unit) in UNITS {
            if ms >= scale && ms.is_multiple_of(scale) {
                return write!(f, "{}{unit}", ms / scale);
            }
        }
        write!(f, "{ms}ms")
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as 90, \"90s\", \"30m\", \"12h\" or \"7d\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Dur, E> {
                Ok(Dur(v.saturating_mul(1000)))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Dur, E> {
                if v < 0 {
                    return Err(E::custom("a duration must be non-negative"));
                }
                Ok(Dur(v as u64 * 1000))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Dur, E> {
                if !v.is_finite() || v < 0.0 {
                    return Err(E::custom("a duration must be a non-negative number"));
                }
                Ok(Dur::from_secs(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Dur, E> {
                parse_duration(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration("90").unwrap(), Dur(90_000));
        assert_eq!(parse_duration("1.5h").unwrap(), Dur(5_400_000));
        assert_eq!(parse_duration("250ms").unwrap(), Dur(250));
        assert_eq!(parse_duration("7d").unwrap(), Dur(604_800_000));
        assert!(parse_duration("3 parsecs").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn displays_largest_exact_unit() {
        assert_eq!(Dur(604_800_000).to_string(), "1w");
        assert_eq!(Dur(5_400_000).to_string(), "90m");
        assert_eq!(Dur(1_500).to_string(), "1500ms");
    }
}
