//! How `compare` prints: the terminal table and Markdown (key figures, or every figure), and
//! CSV (every figure, full precision). JSON is the comparison serialized as is.

use super::figures::{Key, KeySet, Unit, key_figures, seed_list, show, show_in};
use slicesim::sweep::compare::{Cell, Comparison, Kind, Row, Side};

/// Side `i`'s letter: A, B, ... Z, then #27, #28, ...
fn letter(i: usize) -> String {
    match u8::try_from(i) {
        Ok(b) if b < 26 => char::from(b'A' + b).to_string(),
        _ => format!("#{}", i + 1),
    }
}

fn describe(s: &Side) -> String {
    let kind = match s.kind {
        Kind::Run => "run".to_string(),
        Kind::Replication if s.seeds.len() == 1 => "replication, 1 seed".to_string(),
        Kind::Replication => format!("replication, {} seeds", s.seeds.len()),
        Kind::Sweep => format!("sweep, {} points", s.points),
    };
    let seeds = match s.seeds.len() {
        1 => format!("seed {}", s.seeds[0]),
        _ => format!("seeds {}", seed_list(&s.seeds)),
    };
    format!("({kind}; scenario {}; {seeds})", s.scenario)
}

/// `x` rounded to one decimal, without a negative zero.
fn tenths(x: f64) -> f64 {
    let r = (x * 10.0).round() / 10.0;
    if r == 0.0 { 0.0 } else { r }
}

/// Signed difference in the figure's unit; fractions in percentage points. A difference that
/// rounds to zero has no sign.
fn signed(d: f64, unit: Unit) -> String {
    if unit == Unit::Fraction {
        return format!("{:+.1}pp", tenths(d * 100.0));
    }
    let s = show_in(d.abs(), unit, d.abs());
    if s == show_in(0.0, unit, d.abs()) {
        return s;
    }
    if d > 0.0 {
        format!("+{s}")
    } else {
        format!("-{s}")
    }
}

fn value(c: &Option<Cell>, unit: Unit) -> String {
    let Some(c) = c else { return "—".into() };
    let m = &c.measure;
    match m.half_width {
        Some(h) if m.n >= 2 => {
            let scale = m.mean.abs().max(h);
            format!(
                "{} ± {}",
                show_in(m.mean, unit, scale),
                show_in(h, unit, scale)
            )
        }
        _ => show(m.mean, unit),
    }
}

fn diff(c: &Option<Cell>, unit: Unit) -> String {
    match c.as_ref().and_then(|c| c.diff.map(|d| (d, c.rel_diff))) {
        None => "—".into(),
        Some((d, Some(r))) => format!("{} ({:+.1}%)", signed(d, unit), tenths(r * 100.0)),
        Some((d, None)) => signed(d, unit),
    }
}

fn p_value(c: &Option<Cell>) -> String {
    match c.as_ref().and_then(|c| c.test) {
        None => "no test".into(),
        Some(t) => {
            let p = if t.p < 0.001 {
                "<0.001".to_string()
            } else {
                format!("{:.3}", t.p)
            };
            if t.significant() { format!("{p} *") } else { p }
        }
    }
}

/// For each side, whether its p column is shown: when it or the first folder is replicated
/// (cells without a test then say "no test").
fn tested(cmp: &Comparison) -> Vec<bool> {
    let replicated = |s: &Side| s.kind != Kind::Run;
    (0..cmp.sides.len())
        .map(|i| i > 0 && (replicated(&cmp.sides[0]) || replicated(&cmp.sides[i])))
        .collect()
}

fn header(tested: &[bool]) -> Vec<String> {
    let mut h = vec!["figure".to_string()];
    for (i, tested) in tested.iter().enumerate() {
        h.push(letter(i));
        if i > 0 {
            h.push(format!("Δ {}−A", letter(i)));
            if *tested {
                h.push("p".into());
            }
        }
    }
    h
}

/// Per side, whether `row` is a wait percentile that was only a lower bound there (its
/// `..._censored` figure among `group`, the rows of its point, is above 0 on that side).
fn lower_bounds(row: &Row, group: &[&Row]) -> Vec<bool> {
    (0..row.cells.len())
        .map(|i| {
            slicesim::check::eval::is_lower_bound(&row.path, |p| {
                let r = group.iter().find(|r| r.path == p)?;
                r.cells.get(i)?.as_ref().map(|c| c.measure.mean)
            })
        })
        .collect()
}

fn cells(label: &str, row: &Row, unit: Unit, tested: &[bool], lower: &[bool]) -> Vec<String> {
    let mut out = vec![label.to_string()];
    for (i, c) in row.cells.iter().enumerate() {
        let v = value(c, unit);
        out.push(if lower.get(i).copied().unwrap_or(false) {
            format!("≥{v}")
        } else {
            v
        });
        if i > 0 {
            out.push(diff(c, unit));
            if tested[i] {
                out.push(p_value(c));
            }
        }
    }
    out
}

/// The rows to show of one point: every row (labelled by path) or the key figures.
fn shown<'a>(rows: &[&'a Row], every: bool) -> Vec<(Key, &'a Row)> {
    if every {
        let key = |r: &Row| Key {
            label: r.path.clone(),
            path: r.path.clone(),
            unit: Unit::of_path(&r.path),
        };
        return rows.iter().map(|r| (key(r), *r)).collect();
    }
    let paths: Vec<&str> = rows.iter().map(|r| r.path.as_str()).collect();
    key_figures(&paths, KeySet::Compare)
        .into_iter()
        .filter_map(|k| {
            let row = rows.iter().find(|r| r.path == k.path)?;
            Some((k, *row))
        })
        .collect()
}

/// Rows grouped by point, in order.
fn by_point(cmp: &Comparison) -> Vec<(Option<&str>, Vec<&Row>)> {
    let mut groups: Vec<(Option<&str>, Vec<&Row>)> = Vec::new();
    for r in &cmp.rows {
        match groups.last_mut() {
            Some((p, rows)) if *p == r.point.as_deref() => rows.push(r),
            _ => groups.push((r.point.as_deref(), vec![r])),
        }
    }
    groups
}

/// The table (`md` false) or Markdown (`md` true): legend, one table per sweep point, notes.
pub fn render_text(cmp: &Comparison, every: bool, md: bool) -> String {
    let mut out = String::new();
    for (i, s) in cmp.sides.iter().enumerate() {
        if md {
            out += &format!("- **{}** `{}` {}\n", letter(i), s.dir, describe(s));
        } else {
            out += &format!("{}  {}  {}\n", letter(i), s.dir, describe(s));
        }
    }
    let tested = tested(cmp);
    let mut any_lower = false;
    for (point, group) in by_point(cmp) {
        if let Some(id) = point {
            out += &if md {
                format!("\n### point `{id}`\n")
            } else {
                format!("\n== point {id}\n")
            };
        }
        let rows = shown(&group, every);
        if rows.is_empty() {
            out += "(no key figure here; --all shows every figure)\n";
            continue;
        }
        let header = header(&tested);
        let body: Vec<Vec<String>> = rows
            .iter()
            .map(|(k, r)| {
                let lower = lower_bounds(r, &group);
                any_lower |= lower.contains(&true);
                cells(&k.label, r, k.unit, &tested, &lower)
            })
            .collect();
        out += &if md {
            markdown(&header, &body)
        } else {
            "\n".to_string() + &terminal(header, body)
        };
    }
    if any_lower {
        out += "\n≥: a wait percentile that falls among jobs that never started (in at least one\n\
                 seed) is a lower bound; its difference is one between lower bounds (docs/MODEL.md).\n";
    }
    out += &notes(cmp, &tested);
    out
}

/// Plain aligned columns (two spaces apart, the figure left, numbers right) with the rows
/// grouped under their kind (`pool`, `class`, ...) to keep labels short.
fn terminal(header: Vec<String>, body: Vec<Vec<String>>) -> String {
    let mut lines: Vec<Vec<String>> = vec![header];
    let mut group = String::new();
    for mut row in body {
        if let Some((noun, rest)) = row[0].split_once(' ')
            && ["pool", "class", "namespace", "priority", "cost"].contains(&noun)
        {
            if noun != group {
                group = noun.to_string();
                lines.push(vec![noun.to_string()]);
            }
            row[0] = format!("  {rest}");
        }
        lines.push(row);
    }
    let cols = lines[0].len();
    let width = |i: usize| {
        lines
            .iter()
            .filter_map(|l| l.get(i))
            .map(|c| c.chars().count())
            .max()
    };
    let widths: Vec<usize> = (0..cols).map(|i| width(i).unwrap_or(0)).collect();
    let mut out = String::new();
    for (n, line) in lines.iter().enumerate() {
        let mut text = String::new();
        for (i, cell) in line.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i == 0 {
                text += cell;
                text += &" ".repeat(pad);
            } else {
                text += "  ";
                text += &" ".repeat(pad);
                text += cell;
            }
        }
        out += text.trim_end();
        out += "\n";
        if n == 0 {
            out += &"─".repeat(widths.iter().sum::<usize>() + 2 * (cols - 1));
            out += "\n";
        }
    }
    out
}

fn markdown(header: &[String], body: &[Vec<String>]) -> String {
    let line = |cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    let mut out = String::from("\n");
    out += &line(header);
    let rule: Vec<String> = (0..header.len())
        .map(|i| if i == 0 { "---".into() } else { "---:".into() })
        .collect();
    out += &format!("|{}|\n", rule.join("|"));
    for row in body {
        out += &line(row);
    }
    out
}

fn notes(cmp: &Comparison, tested: &[bool]) -> String {
    let mut out = String::from(
        "\nΔ: difference from A (relative to A in brackets; fractions in percentage points).\n",
    );
    let alpha = cmp.alpha;
    if cmp.has_tests() {
        out += &format!(
            "p: Welch's t-test on the difference of the means, two-sided; * significant at p < {alpha}; \"no test\" where a side has a single run.\n"
        );
    } else if tested.iter().any(|t| *t) {
        out += "No test: Welch's t-test needs two seeds or more on both sides.\n";
    } else {
        out += "No test: a single run has no spread (compare replications, run --seeds, for p-values).\n";
    }
    out
}

fn opt(x: Option<f64>) -> String {
    x.map_or_else(String::new, |x| x.to_string())
}

/// Every row: `point,path`, then per folder L: `L_n,L_mean,L_sd,L_ci_low,L_ci_high` and, after
/// the first, `L_diff,L_rel_diff,L_t,L_df,L_p,L_significant`. Absent values are empty.
pub fn render_csv(cmp: &Comparison) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["point".to_string(), "path".to_string()];
    for i in 0..cmp.sides.len() {
        let l = letter(i);
        let mut fields = vec!["n", "mean", "sd", "ci_low", "ci_high"];
        if i > 0 {
            fields.extend(["diff", "rel_diff", "t", "df", "p", "significant"]);
        }
        header.extend(fields.iter().map(|f| format!("{l}_{f}")));
    }
    let err = |e: csv::Error| format!("csv: {e}");
    w.write_record(&header).map_err(err)?;
    for r in &cmp.rows {
        let mut rec = vec![r.point.clone().unwrap_or_default(), r.path.clone()];
        for (i, c) in r.cells.iter().enumerate() {
            let m = c.as_ref().map(|c| &c.measure);
            let hw = m.and_then(|m| m.half_width);
            rec.push(m.map_or_else(String::new, |m| m.n.to_string()));
            rec.push(opt(m.map(|m| m.mean)));
            rec.push(opt(m.and_then(|m| m.sd)));
            rec.push(opt(m.zip(hw).map(|(m, h)| m.mean - h)));
            rec.push(opt(m.zip(hw).map(|(m, h)| m.mean + h)));
            if i > 0 {
                let t = c.as_ref().and_then(|c| c.test);
                rec.push(opt(c.as_ref().and_then(|c| c.diff)));
                rec.push(opt(c.as_ref().and_then(|c| c.rel_diff)));
                rec.push(opt(t.map(|t| t.t)));
                rec.push(opt(t.map(|t| t.df)));
                rec.push(opt(t.map(|t| t.p)));
                rec.push(t.map_or_else(String::new, |t| t.significant().to_string()));
            }
        }
        w.write_record(&rec).map_err(err)?;
    }
    let bytes = w.into_inner().map_err(|e| format!("csv: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("csv: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_show_sign_unit_and_no_negative_zero() {
        // 0.137 of a fraction is 13.7 percentage points; -1e-12 rounds to zero: no sign.
        assert_eq!(signed(0.137, Unit::Fraction), "+13.7pp");
        assert_eq!(signed(-1e-12, Unit::Fraction), "+0.0pp");
        assert_eq!(signed(-1e-12, Unit::Usd), "$0");
        assert_eq!(signed(-9246.72, Unit::Usd), "-$9247");
        // 5910 s is under 2 h: minutes, 5910 / 60 = 98.5.
        assert_eq!(signed(5910.0, Unit::Seconds), "+98.5m");
        assert_eq!(tenths(-0.04), 0.0);
        assert_eq!(
            (letter(0), letter(25), letter(26)),
            ("A".into(), "Z".into(), "#27".into())
        );
    }

    #[test]
    fn markdown_escapes_pipes() {
        let md = markdown(
            &["figure".into(), "A".into()],
            &[vec!["a|b".into(), "1".into()]],
        );
        assert_eq!(md, "\n| figure | A |\n|---|---:|\n| a\\|b | 1 |\n");
    }

    #[test]
    fn a_lower_bound_is_marked_per_side() {
        let cell = |x: f64| {
            Some(Cell {
                measure: slicesim::sweep::compare::Measure::single(x),
                diff: None,
                rel_diff: None,
                test: None,
                significant: None,
            })
        };
        let row = |path: &str, a: f64, b: f64| Row {
            point: None,
            path: path.into(),
            cells: vec![cell(a), cell(b)],
        };
        // Side A exact, side B a lower bound (its flag is 1).
        let p95 = row("classes.c.wait.p95_s", 30.0, 45_000.0);
        let flag = row("classes.c.wait.p95_censored", 0.0, 1.0);
        let group = [&p95, &flag];
        let lower = lower_bounds(&p95, &group);
        assert_eq!(lower, vec![false, true]);
        let out = cells("c wait p95", &p95, Unit::Seconds, &[false, false], &lower);
        assert_eq!(out[1], "30s");
        assert!(out[2].starts_with('≥'), "{out:?}");
    }
}
