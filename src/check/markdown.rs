//! Markdown for `slicesim check --summary FILE`: a pull-request comment with a verdict line and
//! a table (expectation, figure, actual, bound, result).

use super::eval::{Outcome, show};

/// The outcomes as Markdown; `title` heads it (scenario and seeds).
pub fn markdown(outcomes: &[Outcome], title: &str) -> String {
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    let verdict = if failed == 0 {
        format!("✅ all {} expectations pass", outcomes.len())
    } else {
        format!("❌ {failed} of {} expectations fail", outcomes.len())
    };
    let mut s = format!("### slicesim check: {}\n\n{verdict}\n\n", cell(title));
    s.push_str("| expectation | figure | actual | bound | result |\n|---|---|---|---|---|\n");
    for o in outcomes {
        let ge = if o.lower_bound { "≥ " } else { "" };
        let actual = match o.half_width {
            Some(h) => format!("{ge}{} ± {}", show(&o.path, o.actual), show(&o.path, h)),
            None => format!("{ge}{}", show(&o.path, o.actual)),
        };
        let bound = match o.baseline {
            Some(b) => format!(
                "{} {} (baseline {})",
                o.op.as_str(),
                show(&o.path, o.bound),
                show(&o.path, b)
            ),
            None => format!("{} {}", o.op.as_str(), show(&o.path, o.bound)),
        };
        s.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            cell(&o.name),
            o.path,
            actual,
            cell(&bound),
            if o.passed { "pass" } else { "**FAIL**" }
        ));
    }
    if outcomes.iter().any(|o| o.lower_bound) {
        s.push_str(
            "\n≥ marks a wait percentile that falls among jobs that never started: a lower \
             bound, which cannot show that `<=`, `<` or `==` holds (docs/MODEL.md).\n",
        );
    }
    if outcomes.iter().any(|o| o.half_width.is_some()) {
        s.push_str(
            "\nWith replications, actual is the mean over the seeds ± its 95 % half-width.\n",
        );
    }
    s
}

/// Escapes what would break a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
