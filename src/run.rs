//! One scenario run end to end: world, job stream, simulation, report files.

use crate::domain::PolicyName;
use crate::metrics::JobRecord;
use crate::report::{
    OutputDir, Provenance, RenderedPlots, Summary, scenario_sha256, summarize, write_tables,
};
use crate::scenario::Loaded;
use crate::scenario::schema::{ImportMap, TraceFormat, TraceSource, WorkloadSpec};
use crate::sim::{JobSource, Simulation};
use crate::trace::{ImportReport, format, import};
use crate::workload::synthetic::{SyntheticJobs, SyntheticSpec};
use crate::world::World;
use std::path::{Path, PathBuf};

mod baseline;
mod jobs_writer;

#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub seed: Option<u64>,
    pub policy: Option<PolicyName>,
    /// Check cluster invariants after every event (slow; for tests).
    pub check_invariants: bool,
    /// Examine every node on every preemption attempt instead of remembering failed attempts
    /// (slow; the reference the equivalence tests compare the default with).
    pub uncached_preemption: bool,
    /// Told how far each run has got (the command line's progress bar); none by default.
    pub progress: Option<crate::sim::progress::Progress>,
}

/// Command-line replacements for a scenario's workload (applied by [`apply_workload_overrides`]
/// before the scenario is validated).
#[derive(Clone, Debug, Default)]
pub struct WorkloadOverrides {
    /// Replay this trace file instead of the scenario's workload (path as given by the user).
    pub trace: Option<PathBuf>,
    /// Its format; `None` = tell it from the header.
    pub trace_format: Option<TraceFormat>,
    /// Any row an importer cannot use is an error.
    pub strict: bool,
    /// Generate from this fitted profile (`slicesim trace fit`) instead.
    pub profile: Option<PathBuf>,
    /// Multiply the synthetic workload's arrival rate (and job cap) by this.
    pub scale: Option<f64>,
}

/// Replaces the scenario's workload as the overrides ask. A trace given on the command line
/// keeps the scenario's `map` when its workload is a trace too. Returns notes for the user:
/// `--profile` replaces the scenario's whole workload (a trace and its `map` included), and the
/// note says what it replaced.
pub fn apply_workload_overrides(
    loaded: &mut Loaded,
    o: &WorkloadOverrides,
) -> Result<Vec<String>, String> {
    let mut notes = Vec::new();
    if o.trace.is_some() && o.profile.is_some() {
        return Err("--trace and --profile both replace the workload; give one".into());
    }
    let sc = &mut loaded.scenario;
    if let Some(path) = &o.trace {
        let path = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let format = match o.trace_format {
            Some(f) => f,
            None => format::detect(&path).map_err(|e| e.to_string())?,
        };
        let (map, strict) = match &sc.workload {
            WorkloadSpec::Trace(t) => (t.map.clone(), t.strict),
            WorkloadSpec::Synthetic(_) => (ImportMap::default(), false),
        };
        sc.workload = WorkloadSpec::Trace(TraceSource {
            path: path.display().to_string(),
            format,
            strict,
            map,
        });
    } else if o.trace_format.is_some() {
        return Err("--trace-format needs --trace FILE".into());
    }
    if let Some(path) = &o.profile {
        let replaced = match &sc.workload {
            WorkloadSpec::Trace(t) => {
                let default_map = t.map == ImportMap::default();
                format!(
                    "the scenario's trace workload ({}, format {}){}",
                    t.path,
                    t.format,
                    if default_map {
                        String::new()
                    } else {
                        " and its `map` (the class mapping of the trace's jobs)".to_string()
                    }
                )
            }
            WorkloadSpec::Synthetic(s) => format!(
                "the scenario's synthetic workload ({} class(es) in its mix)",
                s.mix.len()
            ),
        };
        sc.workload = WorkloadSpec::Synthetic(load_profile(path)?);
        notes.push(format!(
            "--profile {} replaces {replaced}; the jobs come from the profile's classes and rates",
            path.display()
        ));
    }
    if o.strict {
        match &mut sc.workload {
            WorkloadSpec::Trace(t) => t.strict = true,
            WorkloadSpec::Synthetic(_) => {
                return Err("--strict applies to trace workloads (give --trace FILE)".into());
            }
        }
    }
    if let Some(factor) = o.scale {
        match &mut sc.workload {
            WorkloadSpec::Synthetic(spec) => *spec = spec.scaled(factor)?,
            WorkloadSpec::Trace(_) => {
                return Err(
                    "--scale applies to synthetic workloads: fit the trace first \
                     (slicesim trace fit TRACE -o profile.yaml), then run with --profile \
                     profile.yaml --scale X"
                        .into(),
                );
            }
        }
    }
    Ok(notes)
}

/// Reads a workload profile: a synthetic workload spec as `slicesim trace fit` writes, or a
/// scenario file whose workload is synthetic (its horizon then bounds the arrivals when the
/// spec has no span).
pub fn load_profile(path: &Path) -> Result<SyntheticSpec, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let spec = match serde_saphyr::from_str::<SyntheticSpec>(&text) {
        Ok(spec) => spec,
        Err(e) => match crate::scenario::parse(&text, &path.display().to_string()) {
            Ok(sc) => match sc.workload {
                WorkloadSpec::Synthetic(mut spec) => {
                    spec.span = spec.span.or(Some(sc.horizon));
                    spec
                }
                WorkloadSpec::Trace(_) => {
                    return Err(format!(
                        "{}: the scenario's workload is a trace, not a synthetic profile",
                        path.display()
                    ));
                }
            },
            Err(_) => {
                return Err(format!(
                    "{}: {}",
                    path.display(),
                    crate::yaml::message_in(&e, &path.display().to_string())
                ));
            }
        },
    };
    let problems = spec.problems();
    if problems.is_empty() {
        Ok(spec)
    } else {
        let list: Vec<String> = problems.iter().map(|(f, m)| format!("{f}: {m}")).collect();
        Err(format!("{}: {}", path.display(), list.join("; ")))
    }
}

/// Outputs a run can produce besides its usual files.
#[derive(Clone, Debug, Default)]
pub struct Exports {
    /// Render the series as OpenMetrics text with simulated time 0 at this Unix time (ms);
    /// keeps the per-GPU and per-MIG-instance series for it.
    pub openmetrics_start_ms: Option<i64>,
    /// Also write every plot of `report.html` as `plots/<id>.png`.
    pub png: bool,
    /// Run the exclusive baseline ([`exclusive_baseline`]) for the seed claims of
    /// `report.html` (a second simulation of the same arrivals).
    pub baseline: bool,
}

/// The scenario with every pool dedicated: each pool's sharing (and each timed
/// reconfiguration's) becomes exclusive, and each class's MIG, shared or milli request becomes
/// a request of as many whole GPUs. Seed, arrivals and everything else are unchanged. The
/// seed claims compare a run with this baseline.
pub fn exclusive_baseline(loaded: &Loaded) -> Loaded {
    use crate::domain::{RequestSpec, Sharing};
    use crate::scenario::schema::TimedEvent;
    let mut b = loaded.clone();
    for p in &mut b.scenario.pools {
        p.sharing = Sharing::Exclusive;
    }
    for e in &mut b.scenario.events {
        if let TimedEvent::Reconfigure { sharing, .. } = e {
            *sharing = Sharing::Exclusive;
        }
    }
    for c in &mut b.scenario.classes {
        c.request = RequestSpec::Gpu {
            count: c.request.count(),
        };
    }
    b
}

pub struct RunOutput {
    pub summary: Summary,
    /// The OpenMetrics text, when [`Exports::openmetrics_start_ms`] asked for it.
    pub openmetrics: Option<String>,
    pub world: World,
    /// What the trace importer did (trace workloads only).
    pub import: Option<ImportReport>,
    /// The exclusive baseline's summary, when [`Exports::baseline`] asked for it.
    pub baseline: Option<Summary>,
}

/// The job stream the scenario asks for, with the import report for trace workloads.
pub fn job_source<'a>(
    loaded: &Loaded,
    seed: u64,
) -> Result<(JobSource<'a>, Option<ImportReport>), String> {
    let sc = &loaded.scenario;
    match &sc.workload {
        WorkloadSpec::Synthetic(spec) => Ok((
            Box::new(SyntheticJobs::new(spec, seed, sc.horizon.ms()).map(Ok)),
            None,
        )),
        WorkloadSpec::Trace(src) => {
            let path = loaded.base_dir.join(&src.path);
            let opened = import::open(&path, Some(src.format), &src.map, src.strict)
                .map_err(|e| e.to_string())?;
            // The native format streams and stops at its first bad row: nothing to report.
            let report = (opened.format != TraceFormat::Native).then(|| opened.report.clone());
            let jobs = opened.into_jobs().map(|j| j.map_err(|e| e.to_string()));
            Ok((Box::new(jobs), report))
        }
    }
}

/// Builds the world for `loaded` with command-line overrides applied.
pub fn world(loaded: &Loaded, opts: &RunOptions) -> Result<World, String> {
    let mut w = World::build(&loaded.scenario)?;
    if let Some(s) = opts.seed {
        w.seed = s;
    }
    if let Some(p) = opts.policy {
        w.policy = p;
    }
    Ok(w)
}

/// Runs the scenario, streaming `jobs.csv` into `out_dir` and writing the other files at the
/// end. Nothing is left in `out_dir` if the run fails.
pub fn run_to_dir(loaded: &Loaded, opts: &RunOptions, out_dir: &Path) -> Result<RunOutput, String> {
    run_to_dir_with(loaded, opts, out_dir, &Exports::default())
}

/// [`run_to_dir`] with the extra outputs `exports` asks for (returned, not written).
pub fn run_to_dir_with(
    loaded: &Loaded,
    opts: &RunOptions,
    out_dir: &Path,
    exports: &Exports,
) -> Result<RunOutput, String> {
    let (output, out) = run_staged_with(loaded, opts, out_dir, exports)?;
    out.commit()?;
    Ok(output)
}

/// Like [`run_to_dir`], but the files stay staged until the caller commits the returned
/// folder (dropping it removes them): replications commit only when every seed succeeded.
pub fn run_staged(
    loaded: &Loaded,
    opts: &RunOptions,
    out_dir: &Path,
) -> Result<(RunOutput, OutputDir), String> {
    run_staged_with(loaded, opts, out_dir, &Exports::default())
}

fn run_staged_with(
    loaded: &Loaded,
    opts: &RunOptions,
    out_dir: &Path,
    exports: &Exports,
) -> Result<(RunOutput, OutputDir), String> {
    let world = world(loaded, opts)?;
    // Opened first, so a trace that cannot be imported leaves no output folder behind.
    let (source, import) = job_source(loaded, world.seed)?;
    let provenance = Provenance::new(scenario_sha256(loaded, opts.policy)?, vec![world.seed]);
    let mut out = OutputDir::create(out_dir)?;
    // The exclusive baseline simulates on another thread while this one runs the scenario,
    // writes its files and renders its plots (`run/baseline.rs`).
    let base = exports.baseline.then(|| exclusive_baseline(loaded));
    let ((result, summary, plots), baseline) = baseline::beside(base.as_ref(), opts, |opts| {
        // jobs.csv is formatted and written on a thread of its own unless this run is one of
        // several in parallel (`run/jobs_writer.rs`).
        let result = jobs_writer::write_jobs(out.open("jobs.csv")?, |sink| {
            let mut sim = Simulation::new(world.clone(), source, sink);
            sim.check_invariants = opts.check_invariants;
            sim.remember_failed_preemptions(!opts.uncached_preemption);
            sim.gpu_series = exports.openmetrics_start_ms.is_some()
                || crate::report::plot::run::gpu_series_left_out(&world).is_none();
            sim.progress = opts.progress.clone();
            sim.run()
        })?;
        let summary = summarize(&world, &result, provenance);
        write_tables(&mut out, &summary, &result.samples, &result.class_samples)?;
        let plots = RenderedPlots::new(&world, &result, &summary, exports.png)?;
        Ok((result, summary, plots))
    })?;
    let report = plots.page(&summary, baseline.as_ref());
    write_report(&mut out, &report)?;
    let openmetrics = exports
        .openmetrics_start_ms
        .map(|start| crate::report::openmetrics::render(&world, &result, start));
    let output = RunOutput {
        summary,
        openmetrics,
        world,
        import,
        baseline,
    };
    Ok((output, out))
}

/// Writes `report.html` and, when rendered, `plots/<id>.png`.
fn write_report(out: &mut OutputDir, report: &crate::report::HtmlReport) -> Result<(), String> {
    use std::io::Write;
    let mut f = out.open("report.html")?;
    f.write_all(report.html.as_bytes())
        .and_then(|_| f.flush())
        .map_err(|e| format!("report.html: {e}"))?;
    if !report.pngs.is_empty() {
        let dir = out.path().join("plots");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    }
    for (id, bytes) in &report.pngs {
        let name = format!("plots/{id}.png");
        let mut f = out.open(&name)?;
        f.write_all(bytes)
            .and_then(|_| f.flush())
            .map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(())
}

/// Runs the scenario in memory, handing each job record to `on_record` (tests, benches).
pub fn run_in_memory(
    loaded: &Loaded,
    opts: &RunOptions,
    on_record: &mut dyn FnMut(&JobRecord) -> Result<(), String>,
) -> Result<(Summary, crate::sim::RunResult), String> {
    simulate_in_memory(loaded, opts, on_record, true)
}

/// [`run_in_memory`]; `record_text`: whether the records carry their class, request, pool and
/// GPUs (`Simulation::record_text`; off where no record is read, as for the exclusive
/// baseline: the summary is the same).
fn simulate_in_memory(
    loaded: &Loaded,
    opts: &RunOptions,
    on_record: &mut dyn FnMut(&JobRecord) -> Result<(), String>,
    record_text: bool,
) -> Result<(Summary, crate::sim::RunResult), String> {
    let world = world(loaded, opts)?;
    let (source, _) = job_source(loaded, world.seed)?;
    let provenance = Provenance::new(scenario_sha256(loaded, opts.policy)?, vec![world.seed]);
    let mut sim = Simulation::new(world.clone(), source, on_record);
    sim.check_invariants = opts.check_invariants;
    sim.remember_failed_preemptions(!opts.uncached_preemption);
    sim.progress = opts.progress.clone();
    sim.record_text = record_text;
    let result = sim.run()?;
    Ok((summarize(&world, &result, provenance), result))
}
