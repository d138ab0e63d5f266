//! Objectives and dominance: a point is dominated when another point is at least as good on
//! every objective mean and strictly better on one (Pareto dominance).

use super::file::Goal;
use serde::Serialize;

/// One objective: a figure path and whether less or more is better.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Objective {
    pub figure: String,
    pub goal: Goal,
}

/// Whether `pattern` (where `*` matches any text, dots included) matches `text` whole.
pub fn matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// The objectives over the figures that exist (`figures` sorted): each pattern becomes the
/// figures it matches, in figure order; a figure matched twice keeps its first goal. Second:
/// the patterns that match no figure (the caller warns about them).
pub fn expand(patterns: &[(String, Goal)], figures: &[String]) -> (Vec<Objective>, Vec<String>) {
    let mut out: Vec<Objective> = Vec::new();
    let mut unmatched = Vec::new();
    for (p, goal) in patterns {
        let hits: Vec<&String> = figures.iter().filter(|f| matches(p, f)).collect();
        if hits.is_empty() {
            unmatched.push(p.clone());
        }
        for f in hits {
            if !out.iter().any(|o| o.figure == *f) {
                out.push(Objective {
                    figure: f.clone(),
                    goal: *goal,
                });
            }
        }
    }
    (out, unmatched)
}

/// `a` compared with `b` on one objective: Some(true) if strictly better, Some(false) if equal,
/// None if worse or not comparable (a figure absent on one side only).
fn better(a: Option<f64>, b: Option<f64>, goal: Goal) -> Option<bool> {
    match (a, b) {
        (None, None) => Some(false),
        (Some(a), Some(b)) => {
            let (a, b) = match goal {
                Goal::Min => (a, b),
                Goal::Max => (b, a),
            };
            if a < b {
                Some(true)
            } else if a == b {
                Some(false)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Whether means `a` dominate means `b` (one mean per objective, `None` = absent).
pub fn dominates(a: &[Option<f64>], b: &[Option<f64>], goals: &[Goal]) -> bool {
    let mut strictly = false;
    for ((x, y), g) in a.iter().zip(b).zip(goals) {
        match better(*x, *y, *g) {
            None => return false,
            Some(s) => strictly |= s,
        }
    }
    strictly
}

/// For every point (a row of objective means), the indices of the points that dominate it.
pub fn dominated_by(means: &[Vec<Option<f64>>], goals: &[Goal]) -> Vec<Vec<usize>> {
    means
        .iter()
        .map(|b| {
            means
                .iter()
                .enumerate()
                .filter(|(_, a)| dominates(a, b, goals))
                .map(|(i, _)| i)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches("cost.total_usd", "cost.total_usd"));
        assert!(!matches("cost.total_usd", "cost.total_usd2"));
        assert!(matches(
            "priorities.*.wait.p95_s",
            "priorities.training.wait.p95_s"
        ));
        assert!(matches(
            "priorities.*.wait.p95_s",
            "priorities.a.b.wait.p95_s"
        ));
        assert!(!matches(
            "priorities.*.wait.p95_s",
            "priorities.x.wait.p50_s"
        ));
        assert!(matches("*", "anything"));
        assert!(matches("a*b*c", "aXbYc"));
        assert!(!matches("a*b*c", "aXcYb"));
        // The two ends may not overlap: "ab" is not "ab" + "b".
        assert!(!matches("ab*b", "ab"));
    }

    #[test]
    fn expand_keeps_figure_order_and_reports_a_pattern_without_match() {
        let figs: Vec<String> = ["cost.total_usd", "pools.a.busy", "pools.b.busy"]
            .map(String::from)
            .to_vec();
        let (o, unmatched) = expand(
            &[
                ("pools.*.busy".into(), Goal::Max),
                ("cost.total_usd".into(), Goal::Min),
                ("pools.a.busy".into(), Goal::Min),
            ],
            &figs,
        );
        assert!(unmatched.is_empty());
        let got: Vec<(&str, Goal)> = o.iter().map(|o| (o.figure.as_str(), o.goal)).collect();
        assert_eq!(
            got,
            [
                ("pools.a.busy", Goal::Max),
                ("pools.b.busy", Goal::Max),
                ("cost.total_usd", Goal::Min)
            ]
        );
        let (o, unmatched) = expand(&[("pools.c.busy".into(), Goal::Max)], &figs);
        assert!(o.is_empty());
        assert_eq!(unmatched, ["pools.c.busy"]);
    }

    #[test]
    fn dominance_on_a_hand_made_table() {
        // Objectives: cost (min), wait (min), busy (max).
        let goals = [Goal::Min, Goal::Min, Goal::Max];
        let s = |c: f64, w: f64, b: f64| vec![Some(c), Some(w), Some(b)];
        let table = vec![
            s(100.0, 10.0, 0.5), // 0: dominated by 1 (cheaper, same wait, busier)
            s(90.0, 10.0, 0.6),  // 1: not dominated
            s(80.0, 20.0, 0.6),  // 2: cheaper than 1 but waits longer: not dominated
            s(90.0, 10.0, 0.6),  // 3: equal to 1: neither dominates the other
            s(120.0, 30.0, 0.4), // 4: dominated by 0, 1, 2 and 3
            vec![Some(70.0), None, Some(0.9)], // 5: no wait figure: not comparable
        ];
        let d = dominated_by(&table, &goals);
        assert_eq!(d[0], vec![1, 3]);
        assert!(d[1].is_empty());
        assert!(d[2].is_empty());
        assert!(d[3].is_empty());
        assert_eq!(d[4], vec![0, 1, 2, 3]);
        assert!(d[5].is_empty());
        // 5 dominates nobody either: its wait is absent where the others have one.
        assert!(d.iter().all(|by| !by.contains(&5)));
        // Absent on both sides counts as equal.
        assert!(dominates(
            &[Some(1.0), None],
            &[Some(2.0), None],
            &[Goal::Min, Goal::Min]
        ));
        assert!(!dominates(&[Some(1.0)], &[Some(1.0)], &[Goal::Max]));
    }
}
