//! CPU and host-memory quantities of the scenario file (`cpu: 8`, `cpu: 500m`, `memory: 64Gi`),
//! read as Kubernetes writes them in `resources.requests` and a node's `allocatable`.

use crate::units::parse_quantity;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// CPU in millicores, written as cores (`8`, `0.5`) or a Kubernetes quantity (`500m`, `8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cpu(pub u64);

/// Host memory in bytes, written as a Kubernetes quantity (`64Gi`, `512Mi`, `1e9`) or bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Memory(pub u64);

/// Largest quantity accepted (2^53: exact in a float, far above any real node).
const MAX: f64 = 9_007_199_254_740_992.0;

/// `text` as a non-negative amount of `unit`s (the quantity times `per_unit`), rounded up as
/// Kubernetes rounds a CPU quantity up to the millicore.
fn amount(v: f64, text: &str, per_unit: f64) -> Result<u64, String> {
    let x = (v * per_unit - 1e-9).ceil();
    if !v.is_finite() || v < 0.0 || x > MAX {
        return Err(format!(
            "`{text}` is not a quantity >= 0 (expected e.g. 8, 500m, 64Gi)"
        ));
    }
    Ok(x.max(0.0) as u64)
}

impl Cpu {
    pub fn parse(text: &str) -> Result<Cpu, String> {
        amount(parse_quantity(text)?, text, 1000.0).map(Cpu)
    }
}

impl Memory {
    pub fn parse(text: &str) -> Result<Memory, String> {
        amount(parse_quantity(text)?, text, 1.0).map(Memory)
    }
}

impl fmt::Display for Cpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(1000) {
            write!(f, "{}", self.0 / 1000)
        } else {
            write!(f, "{}m", self.0)
        }
    }
}

impl fmt::Display for Memory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (suffix, unit) in [
            ("Ti", 1u64 << 40),
            ("Gi", 1 << 30),
            ("Mi", 1 << 20),
            ("Ki", 1 << 10),
        ] {
            if self.0 >= unit && self.0.is_multiple_of(unit) {
                return write!(f, "{}{suffix}", self.0 / unit);
            }
        }
        write!(f, "{}", self.0)
    }
}

/// A number or a quantity string, as YAML gives it.
#[derive(Deserialize)]
#[serde(untagged)]
enum Raw {
    N(f64),
    S(String),
}

fn raw<'de, D: Deserializer<'de>>(d: D) -> Result<(f64, String), D::Error> {
    use serde::de::Error;
    match Raw::deserialize(d)? {
        Raw::N(v) => Ok((v, v.to_string())),
        Raw::S(s) => parse_quantity(&s).map(|v| (v, s)).map_err(D::Error::custom),
    }
}

impl<'de> Deserialize<'de> for Cpu {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (v, text) = raw(d)?;
        amount(v, &text, 1000.0)
            .map(Cpu)
            .map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Memory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (v, text) = raw(d)?;
        amount(v, &text, 1.0)
            .map(Memory)
            .map_err(serde::de::Error::custom)
    }
}

impl Serialize for Cpu {
    /// Whole cores as a number (`96`), else millicores as a quantity (`"95500m"`).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_multiple_of(1000) {
            s.serialize_u64(self.0 / 1000)
        } else {
            s.serialize_str(&self.to_string())
        }
    }
}

impl Serialize for Memory {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// Both: a number >= 0 or a Kubernetes quantity string.
fn quantity_schema(description: &str) -> schemars::Schema {
    schemars::json_schema!({
        "description": description,
        "anyOf": [
            {"type": "number", "minimum": 0},
            {"type": "string", "pattern": "^[+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([numkMGTPE]|[KMGTPE]i|[eE][+-]?[0-9]+)?$"}
        ]
    })
}

impl schemars::JsonSchema for Cpu {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Cpu".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        quantity_schema("CPU: cores (8, 0.5) or a Kubernetes quantity (500m)")
    }
}

impl schemars::JsonSchema for Memory {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Memory".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        quantity_schema("host memory: bytes or a Kubernetes quantity (64Gi, 512Mi)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kubernetes_quantities() {
        // 500m = 0.5 cores = 500 millicores; 8 = 8,000; 0.25 = 250; 1k cores = 1,000,000 m.
        assert_eq!(Cpu::parse("500m").unwrap(), Cpu(500));
        assert_eq!(Cpu::parse("8").unwrap(), Cpu(8000));
        assert_eq!(Cpu::parse("0.25").unwrap(), Cpu(250));
        assert_eq!(Cpu::parse("1k").unwrap(), Cpu(1_000_000));
        // Kubernetes rounds CPU up to the millicore: 0.0001 cores -> 1m.
        assert_eq!(Cpu::parse("100u").unwrap(), Cpu(1));
        // 64Gi = 64 x 2^30 = 68,719,476,736 bytes; 1G = 10^9.
        assert_eq!(Memory::parse("64Gi").unwrap(), Memory(68_719_476_736));
        assert_eq!(Memory::parse("1G").unwrap(), Memory(1_000_000_000));
        assert!(Cpu::parse("-1").is_err());
        assert!(Memory::parse("lots").is_err());
        assert!(Memory::parse("1e30").is_err());
    }

    #[test]
    fn writes_back_what_it_reads() {
        assert_eq!(Cpu(500).to_string(), "500m");
        assert_eq!(Cpu(8000).to_string(), "8");
        assert_eq!(Memory(68_719_476_736).to_string(), "64Gi");
        assert_eq!(Memory(1_000_000_000).to_string(), "1000000000");
        for text in ["500m", "8", "64Gi", "3Mi"] {
            let c = Cpu::parse(text).unwrap();
            assert_eq!(Cpu::parse(&c.to_string()).unwrap(), c);
            let m = Memory::parse(text).unwrap();
            assert_eq!(Memory::parse(&m.to_string()).unwrap(), m);
        }
    }

    #[test]
    fn yaml_numbers_and_strings() {
        #[derive(Deserialize)]
        struct T {
            cpu: Cpu,
            memory: Memory,
        }
        let t: T = serde_saphyr::from_str("cpu: 1.5\nmemory: 16Gi\n").unwrap();
        assert_eq!((t.cpu, t.memory), (Cpu(1500), Memory(16 << 30)));
        let t: T = serde_saphyr::from_str("cpu: 250m\nmemory: 1024\n").unwrap();
        assert_eq!((t.cpu, t.memory), (Cpu(250), Memory(1024)));
        let e = serde_saphyr::from_str::<T>("cpu: many\nmemory: 1\n")
            .err()
            .unwrap();
        assert!(e.to_string().contains("not a Kubernetes quantity"), "{e}");
    }
}
