//! The SLO search of `slicesim size` (docs/SIZE.md): the smallest integer value of an axis in
//! `LO..=HI` that meets every condition, by bisection, assuming the conditions are monotone
//! (meeting at `v` implies meeting at `v + 1`). HI is probed first (not met there: no answer),
//! then LO (met there: LO is the answer), then the interval is halved. Every probe is kept, and
//! the probes are checked for what contradicts monotonicity; the search refuses when they do.
//!
//! With replications a condition is met "with confidence": `<=`/`<` hold when the upper end of
//! the 95 % interval does, `>=`/`>` when the lower end does ([`Confidence::Upper`]); with
//! [`Confidence::Mean`], or a single run, the mean decides. The runs themselves are the
//! caller's (a closure from value to figures), so the logic is tested on synthetic figures.

use super::eval::{Figure, Outcome, evaluate, holds, show};
use super::expect::{Expectation, Op};
use serde::Serialize;

/// Which value of a replicated figure a condition is tested on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// The end of the 95 % interval on the failing side (the mean for a single run).
    Upper,
    /// The mean.
    Mean,
}

/// One probe: the axis value, the condition figures there, and whether all held.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    pub value: i64,
    /// Every figure of the run (means, with half-widths under replications).
    pub figures: Vec<Figure>,
    /// Each (expanded) condition, judged with the search's confidence.
    pub outcomes: Vec<Outcome>,
    pub met: bool,
}

/// How the search ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The smallest value that meets every condition.
    Found(i64),
    /// HI itself does not meet them.
    NotMetAtHi,
    /// The probes contradict monotonicity; each line says where.
    NotMonotone(Vec<String>),
}

/// A finished search: its probes in the order they were made, and the verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Search {
    pub lo: i64,
    pub hi: i64,
    pub probes: Vec<Probe>,
    pub verdict: Verdict,
}

impl Search {
    /// The probe at `value`, if one was made.
    pub fn at(&self, value: i64) -> Option<&Probe> {
        self.probes.iter().find(|p| p.value == value)
    }

    /// The answer's probe and the probe just below it (absent when the answer is LO).
    pub fn answer(&self) -> Option<(&Probe, Option<&Probe>)> {
        match self.verdict {
            Verdict::Found(v) => Some((self.at(v)?, self.at(v - 1))),
            _ => None,
        }
    }
}

/// The value a condition is tested on: the mean, or with [`Confidence::Upper`] the end of the
/// interval that is worse for the condition (`mean + hw` for `<=`/`<`, `mean - hw` for
/// `>=`/`>`; `==` uses the mean).
pub fn tested(o: &Outcome, confidence: Confidence) -> f64 {
    let hw = match confidence {
        Confidence::Upper => o.half_width.unwrap_or(0.0),
        Confidence::Mean => 0.0,
    };
    match o.op {
        Op::Le | Op::Lt => o.actual + hw,
        Op::Ge | Op::Gt => o.actual - hw,
        Op::Eq => o.actual,
    }
}

/// Every condition judged on `figures` with `confidence` (errors: unknown figures).
pub fn judge(
    conditions: &[Expectation],
    figures: &[Figure],
    confidence: Confidence,
) -> Result<Vec<Outcome>, String> {
    let mut outcomes = evaluate(conditions, figures, None)?;
    for o in &mut outcomes {
        o.passed = holds(o.op, tested(o, confidence), o.bound, o.lower_bound);
    }
    Ok(outcomes)
}

/// Searches `lo..=hi`; `run` gives the figures at a value (its error ends the search).
pub fn search(
    conditions: &[Expectation],
    lo: i64,
    hi: i64,
    confidence: Confidence,
    mut run: impl FnMut(i64) -> Result<Vec<Figure>, String>,
) -> Result<Search, String> {
    if lo > hi {
        return Err(format!("--range {lo}..{hi}: LO must not exceed HI"));
    }
    if conditions.is_empty() {
        return Err("no condition given (--until 'PATH OP BOUND')".into());
    }
    if let Some(c) = conditions.iter().find(|c| c.bound.uses_baseline()) {
        return Err(format!("`{}`: a size condition has no `baseline`", c.text));
    }
    let mut probes: Vec<Probe> = Vec::new();
    let mut probe = |v: i64| -> Result<bool, String> {
        let figures = run(v).map_err(|e| format!("at {v}: {e}"))?;
        let outcomes = judge(conditions, &figures, confidence)?;
        let met = outcomes.iter().all(|o| o.passed);
        probes.push(Probe {
            value: v,
            figures,
            outcomes,
            met,
        });
        Ok(met)
    };
    let verdict = if !probe(hi)? {
        Verdict::NotMetAtHi
    } else if lo == hi || probe(lo)? {
        Verdict::Found(lo)
    } else {
        // Invariant: `failing` does not meet, `meeting` does.
        let (mut failing, mut meeting) = (lo, hi);
        while meeting - failing > 1 {
            let mid = failing + (meeting - failing) / 2;
            if probe(mid)? {
                meeting = mid;
            } else {
                failing = mid;
            }
        }
        Verdict::Found(meeting)
    };
    let reasons = contradictions(&probes);
    let verdict = if reasons.is_empty() || verdict == Verdict::NotMetAtHi {
        verdict
    } else {
        Verdict::NotMonotone(reasons)
    };
    Ok(Search {
        lo,
        hi,
        probes,
        verdict,
    })
}

/// What in the probes contradicts "meeting at v implies meeting at v + 1": a condition met at
/// a smaller value and not at a larger one, or, where both probes have confidence intervals, a
/// condition's figure whose mean moves the wrong way (up for `<=`, down for `>=`) by more than
/// the two half-widths together (the intervals do not overlap).
pub fn contradictions(probes: &[Probe]) -> Vec<String> {
    let mut sorted: Vec<&Probe> = probes.iter().collect();
    sorted.sort_by_key(|p| p.value);
    let mut out = Vec::new();
    for (i, small) in sorted.iter().enumerate() {
        for large in &sorted[i + 1..] {
            for a in &small.outcomes {
                let same = |b: &&Outcome| b.text == a.text && b.path == a.path;
                let Some(b) = large.outcomes.iter().find(same) else {
                    continue;
                };
                let (v, w) = (small.value, large.value);
                if a.passed && !b.passed {
                    out.push(format!("`{}` is met at {v} but not at {w}", a.name));
                } else if let (Some(ha), Some(hb)) = (a.half_width, b.half_width) {
                    let rise = match a.op {
                        Op::Le | Op::Lt => b.actual - a.actual,
                        Op::Ge | Op::Gt => a.actual - b.actual,
                        Op::Eq => continue,
                    };
                    if rise > ha + hb {
                        out.push(format!(
                            "`{}` moves the wrong way: mean {} ± {} at {v}, {} ± {} at {w} \
                             (the intervals do not overlap)",
                            a.path,
                            show(&a.path, a.actual),
                            show(&a.path, ha),
                            show(&a.path, b.actual),
                            show(&a.path, hb)
                        ));
                    }
                }
            }
        }
    }
    out
}
