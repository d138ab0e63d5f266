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

/// Parses a duration: a bare number of seconds (`"90"`, `"1.5"`), or one or more
/// number-unit pairs as Go's `time.ParseDuration` and Kubernetes write them (`"1h30m"`,
/// `"1.5h"`, `"500ms"`, `"2h45m30s"`), with units `ns`, `us` (`µs`), `ms`, `s`, `m`, `h` and
/// this tool's `d` and `w` (also `sec`, `min`, `hr`, `day`, `week` and plurals). Time is kept
/// in whole milliseconds, so the total is rounded to the nearest one.
pub fn parse_duration(text: &str) -> Result<Dur, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    let bad =
        || format!("`{text}` is not a duration (expected e.g. 90s, 30m, 1h30m, 1.5h, 500ms, 7d)");
    let is_num = |c: char| c.is_ascii_digit() || c == '.';
    if t.chars().all(is_num) {
        let v: f64 = t.parse().map_err(|_| bad())?;
        return finite_ms(v * 1_000.0, text);
    }
    let mut rest = t;
    let mut total_ms = 0.0;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !is_num(c)).unwrap_or(rest.len());
        if n == 0 {
            return Err(if rest.starts_with('-') {
                format!("`{text}`: a duration must be a non-negative number")
            } else {
                bad()
            });
        }
        let value: f64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let u = rest.find(is_num).unwrap_or(rest.len());
        let unit = rest[..u].trim();
        rest = rest[u..].trim_start();
        let scale_ms = match unit {
            "ns" => 1e-6,
            "us" | "µs" | "μs" => 1e-3,
            "ms" => 1.0,
            "s" | "sec" | "secs" => 1_000.0,
            "m" | "min" | "mins" => 60_000.0,
            "h" | "hr" | "hrs" => 3_600_000.0,
            "d" | "day" | "days" => 86_400_000.0,
            "w" | "week" | "weeks" => 604_800_000.0,
            "" => {
                return Err(format!(
                    "`{text}`: every number of a compound duration needs a unit (e.g. 1h30m)"
                ));
            }
            other => {
                return Err(format!(
                    "`{text}`: unknown time unit `{other}` (use ms, s, m, h, d or w, e.g. 1h30m)"
                ));
            }
        };
        total_ms += value * scale_ms;
    }
    finite_ms(total_ms, text)
}

fn finite_ms(ms: f64, text: &str) -> Result<Dur, String> {
    if !ms.is_finite() || ms < 0.0 || ms >= u64::MAX as f64 {
        return Err(format!(
            "`{text}`: a duration must be a non-negative number"
        ));
    }
    Ok(Dur(ms.round() as SimTime))
}

/// Parses a Kubernetes quantity (`resource.Quantity`): a number with an optional suffix,
/// decimal SI (`n`, `u`, `m`, `k`, `M`, `G`, `T`, `P`, `E`), binary (`Ki`, `Mi`, `Gi`, `Ti`,
/// `Pi`, `Ei`) or a decimal exponent (`1e3`, `1E6`). `"500m"` is 0.5, `"1Ki"` is 1024.
pub fn parse_quantity(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let bad = || format!("`{text}` is not a Kubernetes quantity (expected e.g. 4, 1k, 500m, 16Gi)");
    let (sign, body) = match t.strip_prefix('-') {
        Some(b) => (-1.0, b),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    let n = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    if n == 0 || body[..n].matches('.').count() > 1 {
        return Err(bad());
    }
    let value: f64 = body[..n].parse().map_err(|_| bad())?;
    let suffix = &body[n..];
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0f64.powi(2),
        "Gi" => 1024.0f64.powi(3),
        "Ti" => 1024.0f64.powi(4),
        "Pi" => 1024.0f64.powi(5),
        "Ei" => 1024.0f64.powi(6),
        e if e.len() > 1 && (e.starts_with('e') || e.starts_with('E')) => {
            let exp: i32 = e[1..].parse().map_err(|_| bad())?;
            if exp.abs() > 30 {
                return Err(bad());
            }
            10f64.powi(exp)
        }
        _ => return Err(bad()),
    };
    Ok(sign * value * scale)
}

/// A Kubernetes quantity that must be a whole count ≥ 0 (GPUs, quota of an extended
/// resource): `"8"`, `"1k"` = 1000; `"500m"` is refused.
pub fn parse_count_quantity(text: &str) -> Result<u64, String> {
    let v = parse_quantity(text)?;
    if v < 0.0 || v.fract() != 0.0 || v > 2f64.powi(53) {
        return Err(format!("`{text}` is {v}, not a whole number of units ≥ 0"));
    }
    Ok(v as u64)
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

/// The JSON Schema of a duration (`slicesim schema`): a number of seconds, or a string as
/// [`parse_duration`] reads it.
impl schemars::JsonSchema for Dur {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A duration: seconds as a number (90, 1.5), or a string with units as Go and Kubernetes write them (\"90s\", \"30m\", \"1h30m\", \"1.5h\", \"500ms\", \"7d\", \"2w\").",
            "anyOf": [
                {"type": "number", "minimum": 0},
                {
                    "type": "string",
                    "pattern": "^\\s*((\\d+\\.?\\d*|\\.\\d+)\\s*|((\\d+\\.?\\d*|\\.\\d+)\\s*(ns|us|µs|μs|ms|s|secs?|m|mins?|h|hrs?|d|days?|w|weeks?)\\s*)+)$"
                }
            ]
        })
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
    fn parses_go_and_kubernetes_durations() {
        // Issue 16: `1h30m` was rejected. 1h30m = 3,600 + 1,800 s = 5,400,000 ms.
        assert_eq!(parse_duration("1h30m").unwrap(), Dur(5_400_000));
        assert_eq!(parse_duration("90s").unwrap(), Dur(90_000));
        assert_eq!(parse_duration("500ms").unwrap(), Dur(500));
        // 2h45m30.5s = 7,200 + 2,700 + 30.5 s.
        assert_eq!(parse_duration("2h45m30.5s").unwrap(), Dur(9_930_500));
        // Sub-millisecond units round to whole milliseconds: 1,500 us = 1.5 ms -> 2 ms.
        assert_eq!(parse_duration("1500us").unwrap(), Dur(2));
        assert_eq!(parse_duration("1d12h").unwrap(), Dur(129_600_000));
        for bad in ["1h30", "h", "-5s", "1h-30m", "1.2.3s", "5x", "1h 30q"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("1h30").unwrap_err().contains("needs a unit"));
    }

    #[test]
    fn parses_kubernetes_quantities() {
        assert_eq!(parse_quantity("1k").unwrap(), 1_000.0);
        assert_eq!(parse_quantity("1Ki").unwrap(), 1_024.0);
        assert_eq!(parse_quantity("1M").unwrap(), 1_000_000.0);
        assert_eq!(parse_quantity("1Gi").unwrap(), 1_073_741_824.0);
        assert_eq!(parse_quantity("500m").unwrap(), 0.5);
        assert_eq!(parse_quantity("1e3").unwrap(), 1_000.0);
        assert_eq!(parse_quantity("2.5").unwrap(), 2.5);
        assert_eq!(parse_count_quantity("1k").unwrap(), 1_000);
        assert_eq!(parse_count_quantity("8").unwrap(), 8);
        assert!(parse_count_quantity("500m").is_err());
        assert!(parse_count_quantity("-1").is_err());
        for bad in ["", "k", "1KiB", "1..2", "1e", "1e99", "ten", "1 k"] {
            assert!(parse_quantity(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn displays_largest_exact_unit() {
        assert_eq!(Dur(604_800_000).to_string(), "1w");
        assert_eq!(Dur(5_400_000).to_string(), "90m");
        assert_eq!(Dur(1_500).to_string(), "1500ms");
    }
}
