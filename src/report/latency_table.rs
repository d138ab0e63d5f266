//! The terminal table of service request latency (only when some class has a request stream).

use super::summary::Summary;
use super::table::pct;
use crate::metrics::latency::LatencyStats;
use comfy_table::Table;

/// Milliseconds as the terminal shows them; an absent percentile fell among requests that met
/// an overloaded instance, so it has no finite value.
fn ms(x: Option<f64>) -> String {
    match x {
        None => "overload".into(),
        Some(v) if v < 10.0 => format!("{v:.2}ms"),
        Some(v) if v < 10_000.0 => format!("{v:.0}ms"),
        Some(v) => format!("{:.1}s", v / 1000.0),
    }
}

/// A request count in at most five characters: 950, 97.9k, 236.7M.
fn count(n: f64) -> String {
    match n {
        n if n < 1e4 => format!("{n:.0}"),
        n if n < 1e6 => format!("{:.1}k", n / 1e3),
        n if n < 1e9 => format!("{:.1}M", n / 1e6),
        n => format!("{:.1}G", n / 1e9),
    }
}

fn row(class: &str, pool: &str, l: &LatencyStats) -> Vec<String> {
    vec![
        class.to_string(),
        pool.to_string(),
        count(l.requests),
        ms(l.p50_ms),
        ms(l.p95_ms),
        ms(l.p99_ms),
        if l.slo_ms.fract() == 0.0 {
            format!("{:.0}ms", l.slo_ms)
        } else {
            format!("{}ms", l.slo_ms)
        },
        l.slo_miss.map_or_else(|| "-".into(), pct),
    ]
}

/// One row per service class over all its pools, then one per pool where it ran in several.
pub fn latency_table(s: &Summary) -> Option<Table> {
    let services: Vec<_> = s
        .classes
        .iter()
        .filter_map(|c| c.latency.as_ref().map(|l| (c, l)))
        .collect();
    if services.is_empty() {
        return None;
    }
    let mut t = Table::new();
    t.set_header(vec![
        "service", "pool", "requests", "p50", "p95", "p99", "SLO", "SLO miss",
    ]);
    for (c, all) in services {
        let pools = &c.latency_by_pool;
        let only = (pools.len() == 1)
            .then(|| pools.keys().next().cloned())
            .flatten();
        t.add_row(row(&c.name, only.as_deref().unwrap_or("all"), all));
        if pools.len() > 1 {
            for (p, l) in pools {
                t.add_row(row("", p, l));
            }
        }
    }
    Some(t)
}
