//! `size.json` of `slicesim size` (docs/SIZE.md): the question, the verdict, the answer and
//! every probe with its conditions and figures, and where the result came from. Data in, a
//! JSON value out.

use super::eval::Outcome;
use super::size::{Confidence, Probe, Search, Verdict, tested};
use crate::report::Provenance;
use serde_json::{Map, Value, json};

/// The question a search answered.
#[derive(Clone, Debug)]
pub struct Question {
    pub scenario: String,
    pub axis: String,
    /// The conditions as written.
    pub conditions: Vec<String>,
    pub confidence: Confidence,
    /// Empty: one run per probe with the scenario's seed.
    pub seeds: Vec<u64>,
    /// The `--set` overrides applied before the axis, as normalized text.
    pub overrides: Vec<String>,
}

/// Runs made: one per probe, or one per probe and seed.
pub fn runs(search: &Search, q: &Question) -> usize {
    search.probes.len() * q.seeds.len().max(1)
}

/// `size.json`.
pub fn document(search: &Search, q: &Question, provenance: &Provenance) -> Value {
    let (verdict, answer, reasons) = match &search.verdict {
        Verdict::Found(v) => ("found", json!(v), Vec::new()),
        Verdict::NotMetAtHi => ("not_met_at_hi", Value::Null, Vec::new()),
        Verdict::NotMonotone(r) => ("not_monotone", Value::Null, r.clone()),
    };
    let probes: Vec<Value> = search
        .probes
        .iter()
        .map(|p| probe(p, q.confidence))
        .collect();
    json!({
        "format": "slicesim-size/1",
        "provenance": provenance,
        "scenario": q.scenario,
        "overrides": q.overrides,
        "axis": q.axis,
        "range": [search.lo, search.hi],
        "conditions": q.conditions,
        "confidence": q.confidence,
        "seeds": q.seeds,
        "verdict": verdict,
        "answer": answer,
        "reasons": reasons,
        "runs": runs(search, q),
        "probes": probes,
    })
}

fn probe(p: &Probe, confidence: Confidence) -> Value {
    let conditions: Vec<Value> = p.outcomes.iter().map(|o| outcome(o, confidence)).collect();
    let mut figures = Map::new();
    for f in &p.figures {
        figures.insert(
            f.path.clone(),
            json!({"mean": f.value, "half_width": f.half_width}),
        );
    }
    json!({
        "value": p.value,
        "met": p.met,
        "conditions": conditions,
        "figures": figures,
    })
}

fn outcome(o: &Outcome, confidence: Confidence) -> Value {
    json!({
        "condition": o.name,
        "path": o.path,
        "mean": o.actual,
        "half_width": o.half_width,
        "tested": tested(o, confidence),
        "op": o.op.as_str(),
        "bound": o.bound,
        "lower_bound": o.lower_bound,
        "met": o.passed,
    })
}
