//! The seed list of `--seeds`: `7`, `1,4,7`, the inclusive range `1..10` (also `1..=10`), or a
//! mix (`1..3,10`). The result is sorted; a seed given twice is an error.

use crate::limits::{MAX_SEEDS, exceeds};

pub fn parse_seeds(s: &str) -> Result<Vec<u64>, String> {
    let bad = |x: &str| {
        format!("`{x}` is not a seed list (expected e.g. 7, 1,4,7 or the inclusive range 1..10)")
    };
    let mut out: Vec<u64> = Vec::new();
    for part in s.split(',').map(str::trim) {
        if part.is_empty() {
            return Err(bad(s));
        }
        if let Some((a, b)) = part.split_once("..") {
            let b = b.strip_prefix('=').unwrap_or(b);
            let a: u64 = a.trim().parse().map_err(|_| bad(part))?;
            let b: u64 = b.trim().parse().map_err(|_| bad(part))?;
            if b < a {
                return Err(format!(
                    "`{part}`: the range is empty (write the low seed first)"
                ));
            }
            // At most MAX_SEEDS replications: a typo such as `1..1000000000` is refused
            // before any seed is listed.
            let count = u128::from(b - a) + 1 + out.len() as u128;
            if count > u128::from(MAX_SEEDS) {
                return Err(format!(
                    "`{s}`: {}",
                    exceeds("the number of seeds", count, MAX_SEEDS)
                ));
            }
            out.extend(a..=b);
        } else {
            out.push(part.parse().map_err(|_| bad(part))?);
        }
    }
    out.sort_unstable();
    if let Some(w) = out.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!("`{s}`: seed {} is given twice", w[0]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forms() {
        assert_eq!(parse_seeds("7"), Ok(vec![7]));
        assert_eq!(parse_seeds("1,4,7"), Ok(vec![1, 4, 7]));
        assert_eq!(parse_seeds("1..4"), Ok(vec![1, 2, 3, 4]));
        assert_eq!(parse_seeds("1..=3"), Ok(vec![1, 2, 3]));
        assert_eq!(parse_seeds(" 9, 1..2 "), Ok(vec![1, 2, 9]));
        assert_eq!(parse_seeds("5..5"), Ok(vec![5]));
    }

    #[test]
    fn errors_name_the_problem() {
        assert!(parse_seeds("").unwrap_err().contains("not a seed list"));
        assert!(parse_seeds("1,,2").unwrap_err().contains("not a seed list"));
        assert!(parse_seeds("x").unwrap_err().contains("`x`"));
        assert!(parse_seeds("-1").unwrap_err().contains("`-1`"));
        assert!(parse_seeds("5..1").unwrap_err().contains("range is empty"));
        assert!(
            parse_seeds("1..3,2")
                .unwrap_err()
                .contains("seed 2 is given twice")
        );
        assert!(
            parse_seeds("0..100000000000")
                .unwrap_err()
                .contains("more than")
        );
        assert!(parse_seeds("1..18446744073709551615").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,40}") {
            let _ = parse_seeds(&s);
        }

        #[test]
        fn arbitrary_lists_round_trip(mut seeds in prop::collection::btree_set(0u64..1_000_000, 1..20)) {
            let text: Vec<String> = seeds.iter().rev().map(u64::to_string).collect();
            let parsed = parse_seeds(&text.join(",")).unwrap();
            let expected: Vec<u64> = std::mem::take(&mut seeds).into_iter().collect();
            prop_assert_eq!(parsed, expected);
        }

        #[test]
        fn ranges_are_inclusive(a in 0u64..1_000_000, len in 0u64..500) {
            let v = parse_seeds(&format!("{a}..{}", a + len)).unwrap();
            prop_assert_eq!(v.len() as u64, len + 1);
            prop_assert_eq!((v[0], *v.last().unwrap()), (a, a + len));
        }
    }
}
