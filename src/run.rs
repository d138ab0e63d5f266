//! One scenario run end to end: world, job stream, simulation, report files.

use crate::metrics::JobRecord;
use crate::report::writer::JobsCsv;
use crate::report::{OutputDir, Summary, summarize, write_tables};
use crate::scenario::Loaded;
use crate::scenario::schema::{PolicyName, TraceFormat, WorkloadSpec};
use crate::sim::{JobSource, Simulation, World};
use crate::trace::native::NativeReader;
use crate::trace::synthetic::SyntheticJobs;
use std::path::Path;

#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub seed: Option<u64>,
    pub policy: Option<PolicyName>,
    /// Check cluster invariants after every event (slow; for tests).
    pub check_invariants: bool,
}

pub struct RunOutput {
    pub summary: Summary,
    pub world: World,
}

/// The job stream the scenario asks for.
pub fn job_source<'a>(loaded: &Loaded, seed: u64) -> Result<JobSource<'a>, String> {
    let sc = &loaded.scenario;
    match &sc.workload {
        WorkloadSpec::Synthetic(spec) => Ok(Box::new(
            SyntheticJobs::new(spec, seed, sc.horizon.ms()).map(Ok),
        )),
        WorkloadSpec::Trace(src) => {
            let path = loaded.base_dir.join(&src.path);
            match src.format {
                TraceFormat::Native => {
                    let r = NativeReader::open(&path).map_err(|e| e.to_string())?;
                    Ok(Box::new(r.map(|j| j.map_err(|e| e.to_string()))))
                }
            }
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
    let world = world(loaded, opts)?;
    let mut out = OutputDir::create(out_dir)?;
    let mut jobs = JobsCsv::new(out.open("jobs.csv")?);
    let source = job_source(loaded, world.seed)?;
    let mut sink = |r: &JobRecord| jobs.write(r);
    let mut sim = Simulation::new(world.clone(), source, &mut sink);
    sim.check_invariants = opts.check_invariants;
    let result = sim.run()?;
    jobs.finish()?;
    let summary = summarize(&world, &result);
    write_tables(&mut out, &summary, &result.samples, &result.class_samples)?;
    out.commit()?;
    Ok(RunOutput { summary, world })
}

/// Runs the scenario in memory, handing each job record to `on_record` (tests, benches).
pub fn run_in_memory(
    loaded: &Loaded,
    opts: &RunOptions,
    on_record: &mut dyn FnMut(&JobRecord) -> Result<(), String>,
) -> Result<(Summary, crate::sim::RunResult), String> {
    let world = world(loaded, opts)?;
    let source = job_source(loaded, world.seed)?;
    let mut sim = Simulation::new(world.clone(), source, on_record);
    sim.check_invariants = opts.check_invariants;
    let result = sim.run()?;
    Ok((summarize(&world, &result), result))
}
