//! JUnit XML for `slicesim check --junit FILE`: one test suite, one test case per (expanded)
//! expectation, a failure carrying the actual value and the bound.

use super::eval::{Outcome, show};
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

/// The outcomes as a JUnit XML document; `suite` names the suite (the scenario).
pub fn junit(outcomes: &[Outcome], suite: &str) -> Result<String, String> {
    let mut report = Report::new("slicesim check");
    let mut ts = TestSuite::new(suite);
    for o in outcomes {
        let detail = detail(o);
        let status = if o.passed {
            TestCaseStatus::success()
        } else {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(format!("{}: {detail}", o.path));
            s.set_type("expectation");
            s.set_description(detail.clone());
            s
        };
        let mut case = TestCase::new(o.name.as_str(), status);
        case.set_classname(suite);
        case.system_out = Some(detail.into());
        ts.add_test_case(case);
    }
    report.add_test_suite(ts);
    report.to_string().map_err(|e| format!("JUnit XML: {e}"))
}

/// `actual 1234.0s (± 12.0s) <= bound 1800.0s (baseline ...)`.
pub fn detail(o: &Outcome) -> String {
    let hw = o
        .half_width
        .map(|h| format!(" (± {} at 95 %)", show(&o.path, h)))
        .unwrap_or_default();
    let base = o
        .baseline
        .map(|b| format!(", baseline {}", show(&o.path, b)))
        .unwrap_or_default();
    format!(
        "actual {}{}{hw} {} bound {}{base}{}",
        if o.lower_bound { "≥ " } else { "" },
        show(&o.path, o.actual),
        if o.passed { o.op.as_str() } else { "violates" },
        show(&o.path, o.bound),
        lower_bound_note(o)
    )
}

/// What a lower-bound figure means for its expectation (empty for an exact figure).
pub fn lower_bound_note(o: &Outcome) -> &'static str {
    if !o.lower_bound {
        ""
    } else if o.passed && !matches!(o.op, super::expect::Op::Ge | super::expect::Op::Gt) {
        " (lower bound: jobs never started; compared with the baseline's lower bound)"
    } else if o.passed {
        " (lower bound: jobs never started, so the true value is larger still)"
    } else {
        " (lower bound: jobs never started, so the true value is unknown above it and this \
         bound cannot be shown to hold)"
    }
}
