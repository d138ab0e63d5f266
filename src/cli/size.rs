//! `slicesim size`: the smallest axis value meeting every `--until` condition (docs/SIZE.md).
//! Prints the probes and the answer (a table, or `--format json`), writes `--out DIR/size.json`,
//! and exits 0 (found), 1 (not met at HI, or not monotone) or 2 (usage or input error).

use super::check::write_atomic;
use super::progress::SimBar;
use super::set::{SetArgs, load_valid};
use slicesim::check::eval::show;
use slicesim::check::size::{Confidence, Probe, Search, Verdict, search, tested};
use slicesim::check::size_report::{Question, document, runs};
use slicesim::check::{Expectation, parse_expectation, probe};
use slicesim::report::{Provenance, scenario_sha256};
use slicesim::run::RunOptions;
use slicesim::sweep::seeds::parse_seeds;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  slicesim size --axis pools.h100-timeslice.nodes --range 1..8 \\
      --until 'classes.training.wait_p95 <= 1h' --seeds 1..10
  slicesim size --axis namespaces.production.quota.requests.nvidia.com/gpu --range 4..40 \\
      --until 'priorities.production-inference.wait_p95 <= 30m' --seeds 1..5 --out /tmp/quota
  slicesim size --axis pools.a100-timeslice.sharing.replicas --range 1..8 \\
      --until 'classes.research.wait_p95 <= 10m' --until 'classes.development.wait_p95 <= 10m' \\
      --confidence mean --format json
Conditions use the expression grammar of `slicesim check` (docs/CI.md), without `baseline`.
With --seeds, `<=` holds when the upper end of the 95 % interval does, `>=` when the lower end
does (--confidence mean: the mean). Exit codes: 0 found, 1 not met at HI or not monotone,
2 usage or input error.")]
pub struct SizeArgs {
    /// Scenario YAML file; omit for the built-in default (scenarios/seed-strategy.yaml).
    scenario: Option<PathBuf>,
    /// The integer scenario field to size, as a --set path (pools.X.nodes, a quota, replicas).
    #[arg(long, value_name = "PATH")]
    axis: String,
    /// Values to search, LO..HI (both included).
    #[arg(long, value_name = "LO..HI", value_parser = parse_range)]
    range: (i64, i64),
    /// A condition every answer must meet, PATH OP BOUND (repeatable; all must hold).
    #[arg(long, value_name = "COND", required = true)]
    until: Vec<String>,
    /// One replication per seed at every probe (1..10, 1,4,7); without it one run per probe.
    #[arg(long, value_name = "LIST")]
    seeds: Option<String>,
    /// Which value of a replicated figure a condition is tested on.
    #[arg(long, value_enum, default_value = "upper")]
    confidence: ConfidenceArg,
    /// Folder for size.json (the probes, the answer and provenance).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// What to print: a table, or the size.json document.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    #[command(flatten)]
    set: SetArgs,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ConfidenceArg {
    /// The end of the 95 % interval on the failing side.
    Upper,
    /// The mean over the seeds.
    Mean,
}

#[derive(Clone, Copy, PartialEq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
}

/// `LO..HI` (or `LO..=HI`), both included.
fn parse_range(s: &str) -> Result<(i64, i64), String> {
    let (lo, hi) = s
        .split_once("..")
        .ok_or_else(|| format!("`{s}`: give LO..HI, e.g. 1..8"))?;
    let hi = hi.strip_prefix('=').unwrap_or(hi);
    let num = |t: &str| {
        t.trim()
            .parse::<i64>()
            .map_err(|_| format!("`{s}`: `{t}` is not an integer"))
    };
    let (lo, hi) = (num(lo)?, num(hi)?);
    if lo > hi {
        return Err(format!("`{s}`: LO must not exceed HI"));
    }
    Ok((lo, hi))
}

pub fn run(a: SizeArgs) -> ExitCode {
    match size(&a) {
        Ok(search) => match search.verdict {
            Verdict::Found(_) => ExitCode::SUCCESS,
            _ => ExitCode::from(1),
        },
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn size(a: &SizeArgs) -> Result<Search, String> {
    let conditions = a
        .until
        .iter()
        .map(|c| parse_expectation(c).map_err(|e| format!("--until {e}")))
        .collect::<Result<Vec<Expectation>, String>>()?;
    let seeds = match &a.seeds {
        Some(s) => parse_seeds(s).map_err(|e| format!("--seeds {e}"))?,
        None => Vec::new(),
    };
    let (loaded, applied) = load_valid(a.scenario.as_deref(), &a.set)?;
    let runs = seeds.len().max(1);
    let bar = SimBar::new(false, runs, "");
    let opts = RunOptions {
        progress: bar.progress(),
        ..RunOptions::default()
    };
    let (lo, hi) = a.range;
    // Both ends must make a valid scenario before anything runs.
    probe::at_value(&loaded, &a.axis, lo)?;
    probe::at_value(&loaded, &a.axis, hi)?;
    let confidence = match a.confidence {
        ConfidenceArg::Upper => Confidence::Upper,
        ConfidenceArg::Mean => Confidence::Mean,
    };
    let search = search(&conditions, lo, hi, confidence, |v| {
        bar.restart(&format!("{} = {v}", a.axis));
        let at = probe::at_value(&loaded, &a.axis, v)?;
        probe::run_figures(&at, &opts, &seeds)
    });
    bar.finish();
    let search = search?;
    let q = Question {
        scenario: loaded.scenario.name.clone(),
        axis: a.axis.clone(),
        conditions: a.until.clone(),
        confidence,
        seeds: seeds.clone(),
        overrides: applied.iter().map(|x| x.to_string()).collect(),
    };
    let seeds_run = if seeds.is_empty() {
        vec![loaded.scenario.seed]
    } else {
        seeds
    };
    let provenance = Provenance::new(scenario_sha256(&loaded, None)?, seeds_run);
    let doc = document(&search, &q, &provenance);
    let text = serde_json::to_string_pretty(&doc).map_err(|e| format!("size.json: {e}"))? + "\n";
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).map_err(|e| format!("--out {}: {e}", dir.display()))?;
        write_atomic(&dir.join("size.json"), &text)?;
    }
    match a.format {
        Format::Json => out!("{text}"),
        Format::Table => out!("{}", render(&search, &q)),
    }
    Ok(search)
}

/// The probes (by value) with each condition, then the verdict.
fn render(s: &Search, q: &Question) -> String {
    let how = match (q.seeds.is_empty(), q.confidence) {
        (true, _) => "one run per probe".to_string(),
        (false, Confidence::Upper) => format!(
            "{} seeds per probe; tested on the 95 % interval's failing end",
            q.seeds.len()
        ),
        (false, Confidence::Mean) => {
            format!("{} seeds per probe; tested on the mean", q.seeds.len())
        }
    };
    let mut out = format!(
        "size {}: smallest {} in {}..{} meeting every condition ({how})\n",
        q.scenario, q.axis, s.lo, s.hi
    );
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(vec!["value", "condition", "mean", "tested", "bound", "met"]);
    let mut probes: Vec<&Probe> = s.probes.iter().collect();
    probes.sort_by_key(|p| p.value);
    for p in probes {
        for o in &p.outcomes {
            let mean = match o.half_width {
                Some(h) => format!("{} ± {}", show(&o.path, o.actual), show(&o.path, h)),
                None => show(&o.path, o.actual),
            };
            t.add_row(vec![
                p.value.to_string(),
                o.name.clone(),
                mean,
                show(&o.path, tested(o, q.confidence)),
                format!("{} {}", o.op.as_str(), show(&o.path, o.bound)),
                if o.passed { "yes" } else { "NO" }.to_string(),
            ]);
        }
    }
    out.push_str(&format!("{t}\n"));
    let order: Vec<String> = s.probes.iter().map(|p| p.value.to_string()).collect();
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let tally = format!(
        "{} ({}), {}",
        plural(s.probes.len(), "probe"),
        order.join(", "),
        plural(runs(s, q), "run")
    );
    match &s.verdict {
        Verdict::Found(v) => {
            let below = match s.at(v - 1) {
                Some(_) => format!("; {} is the first value below that fails", v - 1),
                None => format!("; {v} is the bottom of the range"),
            };
            out.push_str(&format!("answer: {} = {v}{below}. {tally}\n", q.axis));
            out.push_str(&cost_line(s, *v));
        }
        Verdict::NotMetAtHi => {
            out.push_str(&format!("not met even at HI = {}. {tally}\n", s.hi));
        }
        Verdict::NotMonotone(reasons) => {
            out.push_str(&format!(
                "refused: the probes contradict monotonicity (meeting at v should imply meeting \
                 at v + 1). {tally}\n"
            ));
            for r in reasons {
                out.push_str(&format!("  - {r}\n"));
            }
        }
    }
    out
}

/// Total cost at the answer and one below it (when probed): what the answer costs.
fn cost_line(s: &Search, v: i64) -> String {
    let cost = |p: Option<&Probe>| {
        p.and_then(|p| p.figures.iter().find(|f| f.path == "cost.total_usd"))
            .map(|f| match f.half_width {
                Some(h) => format!("${:.0} ± {h:.0}", f.value),
                None => format!("${:.0}", f.value),
            })
    };
    match (cost(s.at(v)), cost(s.at(v - 1))) {
        (Some(a), Some(b)) => format!("cost.total_usd: {a} at {v}, {b} at {}\n", v - 1),
        (Some(a), None) => format!("cost.total_usd: {a} at {v}\n"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_range;
    use proptest::prelude::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("1..8"), Ok((1, 8)));
        assert_eq!(parse_range("1..=8"), Ok((1, 8)));
        assert_eq!(parse_range(" 4 .. 4 "), Ok((4, 4)));
        assert!(
            parse_range("8..1")
                .unwrap_err()
                .contains("LO must not exceed HI")
        );
        assert!(parse_range("1-8").unwrap_err().contains("LO..HI"));
        assert!(
            parse_range("1..x")
                .unwrap_err()
                .contains("`x` is not an integer")
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = parse_range(&s);
        }

        #[test]
        fn round_trips(lo in -1000i64..1000, len in 0i64..1000) {
            prop_assert_eq!(parse_range(&format!("{lo}..{}", lo + len)), Ok((lo, lo + len)));
        }
    }
}
