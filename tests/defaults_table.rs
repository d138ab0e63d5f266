//! docs/MODEL.md "Defaults and their sources" lists every default the code uses: each model
//! constant (`ModelParams::default()`), each built-in GPU model's speed and price, and each
//! trait of the built-in scenario's classes, with a source. This reads those tables and fails
//! when a default is missing from them, differs from them, or has no source.

use slicesim::catalog::Catalog;
use slicesim::scenario::schema::ModelParams;
use slicesim::units::Dur;
use std::collections::BTreeMap;

fn model_md() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/MODEL.md"))
        .expect("docs/MODEL.md")
}

/// The rows of the first table under the heading `### {title}` (header and rule dropped),
/// each as trimmed cells.
fn table(md: &str, title: &str) -> Vec<Vec<String>> {
    let start = md
        .find(&format!("### {title}\n"))
        .unwrap_or_else(|| panic!("MODEL.md has no section `### {title}`"));
    let rows: Vec<Vec<String>> = md[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect();
    assert!(rows.len() > 2, "section {title}: no table");
    rows[2..].to_vec()
}

fn unquote(cell: &str) -> &str {
    cell.trim_matches('`')
}

fn has_source(cell: &str) -> bool {
    !cell.is_empty() && cell != "-"
}

/// A cell's number, or its duration in ms.
fn value(cell: &str) -> f64 {
    cell.parse::<f64>().unwrap_or_else(|_| {
        let d: Dur = serde_json::from_value(serde_json::Value::String(cell.to_string()))
            .unwrap_or_else(|e| panic!("`{cell}` is neither a number nor a duration: {e}"));
        d.ms() as f64
    })
}

#[test]
fn every_model_constant_is_in_the_table_with_its_value_and_a_source() {
    let md = model_md();
    let rows = table(&md, "Model constants");
    let by_name: BTreeMap<&str, &Vec<String>> = rows.iter().map(|r| (unquote(&r[0]), r)).collect();
    let defaults = serde_json::to_value(ModelParams::default()).expect("serializes");
    let defaults = defaults.as_object().expect("a map");
    let mut checked = 0;
    for (key, v) in defaults {
        if key == "gpu_speed" {
            continue; // per model: the speeds table below
        }
        let name = format!("model.{key}");
        let row = by_name
            .get(name.as_str())
            .unwrap_or_else(|| panic!("MODEL.md \"Model constants\" has no row for {name}"));
        assert_eq!(row.len(), 4, "{name}: constant | value | unit | source");
        let code = match v {
            serde_json::Value::Number(n) => n.as_f64().expect("a number"),
            serde_json::Value::String(s) => value(s),
            other => panic!("{name}: unexpected default {other}"),
        };
        let doc = value(&row[1]);
        assert!(
            (code - doc).abs() <= 1e-12 * code.abs().max(1.0),
            "{name}: code default {v}, MODEL.md says {}",
            row[1]
        );
        assert!(has_source(&row[3]), "{name}: no source");
        checked += 1;
    }
    assert!(checked >= 14, "only {checked} constants checked");
    for row in &rows {
        assert!(has_source(&row[3]), "{}: no source", row[0]);
    }
}

#[test]
fn every_builtin_gpu_speed_and_price_is_in_the_table() {
    let md = model_md();
    let rows = table(&md, "GPU speeds and prices");
    let catalog = Catalog::builtin();
    for m in catalog.models() {
        let row = rows
            .iter()
            .find(|r| r[0] == m.name)
            .unwrap_or_else(|| panic!("MODEL.md speeds table has no row for {}", m.name));
        assert_eq!(value(&row[1]), m.speed, "{} speed", m.name);
        assert_eq!(value(&row[2]), m.price_per_hour, "{} price", m.name);
        assert!(
            has_source(&row[3]) && has_source(&row[4]),
            "{}: no source",
            m.name
        );
    }
    assert_eq!(
        rows.len(),
        catalog.models().len(),
        "a row for a model not built in"
    );
}

#[test]
fn every_trait_of_the_builtin_scenario_is_in_the_table() {
    let md = model_md();
    let rows = table(&md, "Job traits of the built-in scenario");
    let sc = slicesim::scenario::builtin().scenario;
    for c in &sc.classes {
        let row = rows
            .iter()
            .find(|r| r[0] == c.name)
            .unwrap_or_else(|| panic!("MODEL.md traits table has no row for {}", c.name));
        assert_eq!(
            row.len(),
            8,
            "{}: class | u | d | b | mem_gib | checkpoint | speed_target | source",
            c.name
        );
        assert_eq!(value(&row[1]), c.u, "{} u", c.name);
        assert_eq!(value(&row[2]), c.d, "{} d", c.name);
        assert_eq!(value(&row[3]), c.b, "{} b", c.name);
        assert_eq!(value(&row[4]), c.mem_gib, "{} mem_gib", c.name);
        match c.checkpoint {
            Some(d) => assert_eq!(value(&row[5]), d.ms() as f64, "{} checkpoint", c.name),
            None => assert_eq!(row[5], "-", "{} checkpoint", c.name),
        }
        match c.speed_target {
            Some(t) => assert_eq!(value(&row[6]), t, "{} speed_target", c.name),
            None => assert_eq!(row[6], "-", "{} speed_target", c.name),
        }
        assert!(has_source(&row[7]), "{}: no source", c.name);
    }
    assert_eq!(
        rows.len(),
        sc.classes.len(),
        "a row for a class not in the scenario"
    );
}
