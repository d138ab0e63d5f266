//! Seeded, named random streams.
//!
//! Each consumer of randomness (arrivals, durations, class choice, tie breaking...) draws from its
//! own stream derived from the run seed and a stable name, so adding a draw in one place never
//! shifts the numbers seen by another. ChaCha8 is used because, unlike `StdRng`, its output is
//! fixed across crate versions.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator type used for every stream.
pub type StreamRng = ChaCha8Rng;

/// 64-bit FNV-1a: a stable hash (std's hashers are not guaranteed stable across releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64 finaliser: spreads nearby seeds apart.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The random stream called `name` for the run seeded with `seed`.
pub fn stream(seed: u64, name: &str) -> StreamRng {
    ChaCha8Rng::seed_from_u64(mix(seed ^ fnv1a(name.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn same_seed_and_name_give_same_numbers() {
        let a: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(stream(7, "x"), |r, _| Some(r.random()))
            .collect();
        let b: Vec<u64> = (0..4)
            .map(|_| 0)
            .scan(stream(7, "x"), |r, _| Some(r.random()))
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn different_names_give_different_streams() {
        let a: u64 = stream(7, "arrivals").random();
        let b: u64 = stream(7, "durations").random();
        let c: u64 = stream(8, "arrivals").random();
        assert_ne!(a, b);
        assert_ne!(a, c);
    }
}
