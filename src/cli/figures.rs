//! How figures are picked and shown on the terminal, shared by the `run --seeds` table
//! (`replicate.rs`) and `compare`: the key figures of a summary by their paths
//! (docs/OUTPUTS.md), their units and number formats.

/// How a figure's numbers are shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    Fraction,
    Seconds,
    Count,
    Usd,
    /// Anything else (`compare --all`): up to four decimals.
    Number,
}

impl Unit {
    /// The unit of any figure, told from its path's last field.
    pub fn of_path(path: &str) -> Unit {
        let last = path.rsplit('.').next().unwrap_or(path);
        if last.ends_with("_s") {
            Unit::Seconds
        } else if last.ends_with("usd") {
            Unit::Usd
        } else if ["allocation", "busy", "sm_activity", "fragmentation"].contains(&last) {
            Unit::Fraction
        } else {
            Unit::Number
        }
    }
}

pub fn show(x: f64, unit: Unit) -> String {
    show_in(x, unit, x)
}

/// `x` in the format `scale` would take: a mean and its half-width share one time unit.
pub fn show_in(x: f64, unit: Unit, scale: f64) -> String {
    match unit {
        Unit::Fraction => format!("{:.1}%", x * 100.0),
        Unit::Seconds if scale.abs() < 120.0 => format!("{x:.0}s"),
        Unit::Seconds if scale.abs() < 7200.0 => format!("{:.1}m", x / 60.0),
        Unit::Seconds => format!("{:.2}h", x / 3600.0),
        Unit::Count => format!("{x:.1}"),
        Unit::Usd => format!("${x:.0}"),
        Unit::Number => {
            let decimals = match scale.abs() {
                a if a < 10.0 => 4,
                a if a < 1000.0 => 2,
                _ => 1,
            };
            let s = format!("{x:.decimals$}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" { "0".into() } else { s.to_string() }
        }
    }
}

/// A key figure: its label on the terminal, its path and unit.
pub struct Key {
    pub label: String,
    pub path: String,
    pub unit: Unit,
}

/// Which key figures: `run --seeds` shows the narrow set, `compare` the wide one.
#[derive(Clone, Copy, PartialEq)]
pub enum KeySet {
    /// Per pool allocation, busy and wait p95; per class wait p95 and completed jobs; the
    /// total cost.
    Replication,
    /// The same plus each pool's GPUs, per namespace and priority wait p95 and completed
    /// jobs, and the cost per useful reference GPU-hour.
    Compare,
}

/// The names of a list's items, from the paths that end in a field every item has (names
/// may hold dots; the last field is fixed, so it is stripped from the end).
fn names<'a>(paths: &[&'a str], list: &str, marker: &str) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for p in paths {
        if let Some(name) = p
            .strip_prefix(list)
            .and_then(|r| r.strip_prefix('.'))
            .and_then(|r| r.strip_suffix(marker))
            .and_then(|r| r.strip_suffix('.'))
            && !out.contains(&name)
        {
            out.push(name);
        }
    }
    out
}

/// The key figures among `paths`, in a fixed order: pools, classes, (namespaces,
/// priorities), cost.
pub fn key_figures(paths: &[&str], set: KeySet) -> Vec<Key> {
    let wide = set == KeySet::Compare;
    let wait = ("wait.p95_s", "wait p95", Unit::Seconds);
    let completed = ("jobs.completed", "completed", Unit::Count);
    let mut pool_fields = vec![
        ("allocation", "allocation", Unit::Fraction),
        ("busy", "busy", Unit::Fraction),
        wait,
    ];
    if wide {
        pool_fields.insert(0, ("gpus", "GPUs", Unit::Count));
    }
    let mut lists = vec![
        ("pools", "pool", "busy", pool_fields),
        ("classes", "class", "queue_depth", vec![wait, completed]),
    ];
    if wide {
        lists.push((
            "namespaces",
            "namespace",
            "quota_refusals",
            vec![wait, completed],
        ));
        lists.push(("priorities", "priority", "evictions", vec![wait, completed]));
    }
    let mut keys = Vec::new();
    let mut push = |label: String, path: String, unit: Unit| {
        if paths.contains(&path.as_str()) {
            keys.push(Key { label, path, unit });
        }
    };
    for (list, noun, marker, fields) in lists {
        for name in names(paths, list, marker) {
            for (field, label, unit) in &fields {
                push(
                    format!("{noun} {name} {label}"),
                    format!("{list}.{name}.{field}"),
                    *unit,
                );
            }
        }
    }
    push("cost total".into(), "cost.total_usd".into(), Unit::Usd);
    if wide {
        let path = "cost.usd_per_useful_ref_gpu_hour";
        push("cost per useful GPU-hour".into(), path.into(), Unit::Number);
    }
    keys
}

/// `1..10` for a run of consecutive seeds, else the list.
pub fn seed_list(seeds: &[u64]) -> String {
    match (seeds.first(), seeds.last()) {
        (Some(a), Some(b)) if seeds.len() > 2 && b - a + 1 == seeds.len() as u64 => {
            format!("{a}..{b}")
        }
        _ => seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(","),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_from_paths_and_key_figures_in_order() {
        assert_eq!(Unit::of_path("pools.a.wait.p95_s"), Unit::Seconds);
        assert_eq!(Unit::of_path("cost.total_usd"), Unit::Usd);
        assert_eq!(Unit::of_path("pools.a.busy"), Unit::Fraction);
        assert_eq!(Unit::of_path("jobs.completed"), Unit::Number);
        // Four decimals below 10, two below 1000, one above; trailing zeros dropped.
        assert_eq!(show(3.14178, Unit::Number), "3.1418");
        assert_eq!(show(709.0, Unit::Number), "709");
        assert_eq!(show(16157.35, Unit::Number), "16157.4");
        // A pool named with a dot is found from the end of its paths.
        let paths = [
            "classes.c.queue_depth",
            "classes.c.wait.p95_s",
            "cost.total_usd",
            "pools.p.1.busy",
            "pools.p.1.gpus",
        ];
        let labels = |set| -> Vec<String> {
            key_figures(&paths, set)
                .into_iter()
                .map(|k| k.label)
                .collect()
        };
        assert_eq!(
            labels(KeySet::Compare),
            [
                "pool p.1 GPUs",
                "pool p.1 busy",
                "class c wait p95",
                "cost total"
            ]
        );
        assert_eq!(
            labels(KeySet::Replication),
            ["pool p.1 busy", "class c wait p95", "cost total"]
        );
        assert_eq!(seed_list(&[1, 2, 3]), "1..3");
        assert_eq!(seed_list(&[1, 4]), "1,4");
    }
}
