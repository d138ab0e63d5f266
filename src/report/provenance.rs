//! Where a result came from (`provenance` in `summary.json`): the tool version, the commit it
//! was built from, a hash of the resolved scenario and the seeds, so two results can be
//! compared knowingly.

use crate::domain::PolicyName;
use crate::scenario::Loaded;
use crate::scenario::schema::{Scenario, WorkloadSpec};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub tool: String,
    /// The crate version (`slicesim --version`).
    pub version: String,
    /// `git describe --always --dirty` at build time; "unknown" outside a checkout.
    pub git_describe: String,
    /// SHA-256 of the resolved scenario (see [`scenario_sha256`]).
    pub scenario_sha256: String,
    /// The seed of a run, or every seed of a replicated run, in increasing order.
    pub seeds: Vec<u64>,
    /// The placement policy that ran (`--policy` or the scenario's `scheduler.policy`); absent
    /// where one provenance covers runs of several policies (a sweep).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

impl Provenance {
    pub fn new(scenario_sha256: String, seeds: Vec<u64>) -> Self {
        Provenance {
            tool: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            git_describe: env!("SLICESIM_GIT_DESCRIBE").to_string(),
            scenario_sha256,
            seeds,
            policy: None,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of the scenario as it is run: includes merged, every override applied (`--set`,
/// `--trace`, `--profile`, `--scale`, `--policy`), serialized as JSON from the typed structure
/// (so formatting and comments of the file do not count). The seed is left out (it is listed
/// beside the hash, so replications share one hash), and a trace workload's path is replaced by
/// the SHA-256 of the trace file's bytes (the same data anywhere gives the same hash).
pub fn scenario_sha256(loaded: &Loaded, policy: Option<PolicyName>) -> Result<String, String> {
    let mut sc: Scenario = loaded.scenario.clone();
    sc.seed = 0;
    if let Some(p) = policy {
        sc.scheduler.policy = p;
    }
    if let WorkloadSpec::Trace(t) = &mut sc.workload {
        let path = loaded.base_dir.join(&t.path);
        let bytes =
            std::fs::read(&path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        t.path = format!("sha256:{}", hex(&Sha256::digest(&bytes)));
    }
    let json = serde_json::to_vec(&sc).map_err(|e| format!("scenario: {e}"))?;
    Ok(hex(&Sha256::digest(&json)))
}
