//! Discretisation of per-pod records into columns 0..130 of "arrived %" (spec §6.2) and the
//! artifact's CSV layout.

use std::fmt::Write as _;

/// Columns 0..=130.
pub const COLUMNS: usize = 131;

/// One record after a pod, as the artifact's log has it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Record {
    /// Cumulative GPU request of every pod attempted so far (failed ones included), milli.
    pub arrived_milli: u64,
    /// Allocated GPU milli.
    pub used_milli: u64,
    /// Cluster fragmentation Σ F(n), milli.
    pub frag_milli: f64,
    /// 100 · frag / free GPU milli.
    pub frag_ratio: f64,
}

/// Round half to even (numpy `rint`).
pub fn round0(x: f64) -> f64 {
    x.round_ties_even()
}

/// numpy's `round(x, 2)`: rint(x·100)/100.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round_ties_even() / 100.0
}

/// The three discretised curves of one run; `None` is an empty cell.
#[derive(Clone, Debug, PartialEq)]
pub struct Curves {
    /// Allocated GPU in % of capacity.
    pub alloc: Vec<Option<f64>>,
    /// Fragmented GPU in % of the cluster's GPUs.
    pub frag: Vec<Option<f64>>,
    /// Fragmented share of free GPU, %.
    pub frag_ratio: Vec<Option<f64>>,
}

/// Buckets records by arrived % (rounded half to even) and averages each bucket; an empty
/// bucket x borrows the records with arrived % in x−1..=x+1.
///
/// Per record, as the artifact's log and scripts do: alloc % = round2(used/total_gpus/10); the
/// frag amount and ratio are logged with 2 decimals (modelled by `round2`). Per column:
/// alloc = round2(mean), frag = round2(100·mean(frag_milli)/1000/total_gpus),
/// ratio = mean (not rounded).
pub fn discretise(records: &[Record], total_gpus: u64) -> Curves {
    let tg = total_gpus as f64;
    // Sums per arrived %: (count, Σ alloc %, Σ frag milli, Σ ratio).
    let mut buckets: std::collections::BTreeMap<i64, (u64, f64, f64, f64)> =
        std::collections::BTreeMap::new();
    for r in records {
        let arrive = round0(r.arrived_milli as f64 / tg / 10.0) as i64;
        let b = buckets.entry(arrive).or_default();
        b.0 += 1;
        b.1 += round2(r.used_milli as f64 / tg / 10.0);
        b.2 += round2(r.frag_milli);
        b.3 += round2(r.frag_ratio);
    }
    let mut c = Curves {
        alloc: vec![None; COLUMNS],
        frag: vec![None; COLUMNS],
        frag_ratio: vec![None; COLUMNS],
    };
    for x in 0..COLUMNS as i64 {
        let picked: Vec<&(u64, f64, f64, f64)> = match buckets.get(&x) {
            Some(b) => vec![b],
            None => (x - 1..=x + 1).filter_map(|y| buckets.get(&y)).collect(),
        };
        let n: u64 = picked.iter().map(|b| b.0).sum();
        if n == 0 {
            continue;
        }
        let n = n as f64;
        let (sa, sf, sr) = picked
            .iter()
            .fold((0.0, 0.0, 0.0), |a, b| (a.0 + b.1, a.1 + b.2, a.2 + b.3));
        let i = x as usize;
        c.alloc[i] = Some(round2(sa / n));
        c.frag[i] = Some(round2(100.0 * (sf / n) / 1000.0 / tg));
        c.frag_ratio[i] = Some(sr / n);
    }
    c
}

/// A float as Python's `repr` writes it for the magnitudes here (`45.0`, `12.34`).
pub fn py_float(x: f64) -> String {
    if x.is_finite() && x == x.trunc() && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

/// The header of a result file: `workload,sc_policy,tune,seed[,total_gpus],0,...,130`.
pub fn header(with_total_gpus: bool) -> String {
    let mut h = String::from("workload,sc_policy,tune,seed");
    if with_total_gpus {
        h.push_str(",total_gpus");
    }
    for x in 0..COLUMNS {
        let _ = write!(h, ",{x}");
    }
    h
}

/// One row of a result file.
pub fn row(
    workload: &str,
    policy: &str,
    tune: f64,
    seed: u64,
    total_gpus: Option<u64>,
    values: &[Option<f64>],
) -> String {
    let mut s = format!("{workload},{policy},{},{seed}", py_float(tune));
    if let Some(t) = total_gpus {
        let _ = write!(s, ",{t}");
    }
    for v in values {
        s.push(',');
        if let Some(v) = v {
            s.push_str(&py_float(*v));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_to_even() {
        assert_eq!(round0(0.5), 0.0);
        assert_eq!(round0(1.5), 2.0);
        assert_eq!(round0(2.5), 2.0);
        assert_eq!(round0(89.5), 90.0);
        assert_eq!(round0(90.5), 90.0);
        assert_eq!(round0(90.500001), 91.0);
        // round2 multiplies first: 0.125·100 = 12.5 -> 12 -> 0.12; 0.375 -> 37.5 -> 38 -> 0.38.
        assert_eq!(round2(0.125), 0.12);
        assert_eq!(round2(0.375), 0.38);
        assert_eq!(round2(45.678), 45.68);
    }

    fn rec(arrived: u64, used: u64) -> Record {
        Record {
            arrived_milli: arrived,
            used_milli: used,
            frag_milli: 0.0,
            frag_ratio: 0.0,
        }
    }

    #[test]
    fn buckets_and_the_fallback_window() {
        // A 100-GPU cluster: arrived % = arrived_milli / 100 / 10 = arrived_milli / 1000.
        let tg = 100;
        let records = vec![
            rec(500, 500),     // 0.5 % -> 0 (half to even)
            rec(1500, 1500),   // 1.5 % -> 2
            rec(2500, 2400),   // 2.5 % -> 2
            rec(5000, 4000),   // 5 %
            rec(5400, 4100),   // 5.4 % -> 5
            rec(10_000, 9000), // 10 %
        ];
        let c = discretise(&records, tg);
        // Column 0: only the first record: alloc 0.5.
        assert_eq!(c.alloc[0], Some(0.5));
        // Column 1 is empty: borrow columns 0..=2 -> (0.5 + 1.5 + 2.4)/3 = 1.4666.. -> 1.47.
        assert_eq!(c.alloc[1], Some(1.47));
        // Column 2: (1.5 + 2.4)/2 = 1.95.
        assert_eq!(c.alloc[2], Some(1.95));
        // Column 3: empty, window 2..=4 -> column 2's records -> 1.95.
        assert_eq!(c.alloc[3], Some(1.95));
        // Column 4: window 3..=5 -> column 5's records (4.0 + 4.1)/2 = 4.05.
        assert_eq!(c.alloc[4], Some(4.05));
        assert_eq!(c.alloc[5], Some(4.05));
        // Column 7: window 6..=8 has nothing -> empty.
        assert_eq!(c.alloc[7], None);
        assert_eq!(c.alloc[9], Some(9.0));
        assert_eq!(c.alloc[10], Some(9.0));
        assert_eq!(c.alloc[12], None);
    }

    #[test]
    fn frag_columns() {
        // 10-GPU cluster. Two records in column 50 (arrived 5000 milli): frag 1234.567 and
        // 2000.0 milli; ratios 20.004 and 30.0.
        let r = |f: f64, q: f64| Record {
            arrived_milli: 5000,
            used_milli: 0,
            frag_milli: f,
            frag_ratio: q,
        };
        let c = discretise(&[r(1234.567, 20.004), r(2000.0, 30.0)], 10);
        // Per-record 2 decimals: 1234.57 and 2000.0; mean 1617.285; 100·1617.285/1000/10 =
        // 16.17285 -> 16.17 % of the GPUs.
        assert_eq!(c.frag[50], Some(16.17));
        // Ratios: 20.0 (20.004 logged as 20.00) and 30.0 -> mean 25.0.
        assert_eq!(c.frag_ratio[50], Some(25.0));
    }

    #[test]
    fn layout() {
        let h = header(true);
        assert!(h.starts_with("workload,sc_policy,tune,seed,total_gpus,0,1,"));
        assert!(h.ends_with(",129,130"));
        assert_eq!(h.split(',').count(), 5 + 131);
        assert_eq!(header(false).split(',').count(), 4 + 131);
        let mut v = vec![None; 131];
        v[0] = Some(0.0);
        v[1] = Some(12.34);
        let r = row("openb_pod_list_default", "06-FGD", 1.3, 42, Some(6212), &v);
        assert!(r.starts_with("openb_pod_list_default,06-FGD,1.3,42,6212,0.0,12.34,,"));
        assert_eq!(r.split(',').count(), 5 + 131);
    }
}
