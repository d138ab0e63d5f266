//! The default terminal summary: the key figures per pool and per priority class in at most
//! [`WIDTH`] columns. `run --wide` prints the full tables of `table.rs`.

use super::figures::PriorityNames;
use super::latency_table::latency_table;
use super::summary::Summary;
use super::table::{P, footer, header, pct, wait};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

/// The widest line the summary prints, in characters.
pub const WIDTH: usize = 100;

pub fn render(s: &Summary, names: &PriorityNames) -> String {
    let mut out = wrap(&header(s));
    out.push_str(&fit(pool_table(s)).to_string());
    out.push('\n');
    out.push_str(&fit(priority_table(s, names)).to_string());
    out.push('\n');
    if let Some(t) = latency_table(s) {
        out.push_str(&fit(t).to_string());
        out.push('\n');
    }
    let mut foot = String::new();
    footer(s, &mut foot);
    out.push_str(&wrap(&foot));
    out
}

fn fit(mut t: Table) -> Table {
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t.set_width(WIDTH as u16);
    t
}

fn pool_table(s: &Summary) -> Table {
    let mut t = Table::new();
    t.set_header(vec![
        "pool", "sharing", "GPUs", "alloc", "busy", "SM act", "wait p95", "cost $",
    ]);
    for p in &s.pools {
        t.add_row(vec![
            p.name.clone(),
            p.sharing.clone(),
            p.gpus.to_string(),
            pct(p.allocation),
            pct(p.busy),
            pct(p.sm_activity),
            wait(&p.wait, P::P95),
            format!("{:.0}", p.cost_usd),
        ]);
    }
    t
}

/// One row per priority value, in the summary's order (highest first), named by its PriorityClass when one has it.
fn priority_table(s: &Summary, names: &PriorityNames) -> Table {
    let mut t = Table::new();
    t.set_header(vec![
        "priority",
        "jobs",
        "done",
        "unstarted",
        "wait p95",
        "p99",
        "preempted",
        "cost $",
    ]);
    for p in &s.priorities {
        let label = match names.get(&p.priority) {
            Some(n) => format!("{n} ({})", p.priority),
            None => p.priority.to_string(),
        };
        let j = &p.jobs;
        t.add_row(vec![
            label,
            j.jobs.total.to_string(),
            j.jobs.completed.to_string(),
            j.wait.never_started.to_string(),
            wait(&j.wait, P::P95),
            wait(&j.wait, P::P99),
            j.preemptions.to_string(),
            format!("{:.0}", j.cost_usd),
        ]);
    }
    t
}

/// Every line of `text` broken at spaces to at most [`WIDTH`] characters (continuations
/// indented by two); a single word longer than that stays whole.
fn wrap(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut cur = String::new();
        for word in line.split(' ') {
            let len = cur.chars().count();
            if len > 0 && len + 1 + word.chars().count() > WIDTH {
                out.push_str(cur.trim_end());
                out.push('\n');
                cur = format!("  {word}");
            } else {
                if len > 0 {
                    cur.push(' ');
                }
                cur.push_str(word);
            }
        }
        out.push_str(&cur);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_within_the_width() {
        let long = format!("{} {}", "a".repeat(60), "b".repeat(50));
        // 60 + 1 + 50 = 111 > 100: the b's go to a second line, indented by 2.
        assert_eq!(
            wrap(&long),
            format!("{}\n  {}\n", "a".repeat(60), "b".repeat(50))
        );
        assert_eq!(wrap("short line\n"), "short line\n");
    }
}
