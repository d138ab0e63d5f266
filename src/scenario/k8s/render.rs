//! The imported sections as commented YAML: a fragment to paste, or a complete scenario.

use super::skeleton::{PLACEHOLDER_NAMESPACE, skeleton};
use super::{ImportInputs, ScenarioFragment};
use crate::domain::{JobKind, RequestSpec, TaintEffect, TolerationOperator};
use crate::scenario::schema::{
    ClassSpec, NamespaceSpec, PriorityClassSpec, Scenario, WorkloadSpec,
};
use crate::units::Dur;
use serde::Serialize;

fn yaml<T: Serialize>(v: &T) -> String {
    let mut s = serde_saphyr::to_string(v).expect("scenario types serialise");
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

/// A class as written in the output: only the fields the placeholders set.
#[derive(Serialize)]
struct ClassView<'a> {
    name: &'a str,
    kind: JobKind,
    namespace: &'a str,
    request: &'a RequestSpec,
    u: f64,
    d: f64,
    mem_gib: f64,
    pools: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tolerations: Vec<TolerationView<'a>>,
}

#[derive(Serialize)]
struct TolerationView<'a> {
    key: Option<&'a str>,
    operator: TolerationOperator,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    effect: Option<TaintEffect>,
}

impl<'a> From<&'a ClassSpec> for ClassView<'a> {
    fn from(c: &'a ClassSpec) -> Self {
        ClassView {
            name: &c.name,
            kind: c.kind,
            namespace: &c.namespace,
            request: &c.request,
            u: c.u,
            d: c.d,
            mem_gib: c.mem_gib,
            pools: &c.pools,
            tolerations: c
                .tolerations
                .iter()
                .map(|t| TolerationView {
                    key: t.key.as_deref(),
                    operator: t.operator,
                    value: t.value.as_deref(),
                    effect: t.effect,
                })
                .collect(),
        }
    }
}

fn comment(out: &mut String, text: &str) {
    for l in text.lines() {
        out.push_str(if l.is_empty() { "#" } else { "# " });
        out.push_str(l);
        out.push('\n');
    }
}

/// The imported sections as YAML with comments: the pools' node names, and where the text
/// came from. With `full`, a complete scenario (see [`skeleton`]) whose placeholder classes and
/// workload are marked as such; without, only the sections to paste into a scenario.
pub fn render(
    fragment: &ScenarioFragment,
    inputs: &ImportInputs,
    name: &str,
    full: bool,
) -> String {
    let mut out = String::new();
    comment(
        &mut out,
        &format!(
            "Imported by `slicesim import` from: {}\nPools, priority classes and namespaces come from the cluster configuration.",
            inputs.names().join(", ")
        ),
    );
    let sc = skeleton(fragment, name);
    intro(&mut out, &sc, name, full);
    priorities_and_namespaces(&mut out, fragment, &sc, full);
    pools(&mut out, fragment);
    if full {
        placeholders(&mut out, &sc);
    }
    out
}

/// What to do with the output; a full scenario also starts with its name and horizon.
fn intro(out: &mut String, sc: &Scenario, name: &str, full: bool) {
    if full {
        comment(
            out,
            "The classes and the workload at the end are PLACEHOLDERS: replace them with your workload.\n",
        );
        #[derive(Serialize)]
        struct Head<'a> {
            name: &'a str,
            horizon: Dur,
        }
        out.push_str(&yaml(&Head {
            name,
            horizon: sc.horizon,
        }));
        out.push('\n');
    } else {
        comment(
            out,
            "Paste these sections into a scenario (see docs/SCENARIO.md).\n",
        );
    }
}

/// Priority classes and namespaces (a full scenario adds the placeholder namespace).
fn priorities_and_namespaces(
    out: &mut String,
    fragment: &ScenarioFragment,
    sc: &Scenario,
    full: bool,
) {
    #[derive(Serialize)]
    struct PrioNs<'a> {
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        priority_classes: &'a [PriorityClassSpec],
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        namespaces: &'a [NamespaceSpec],
    }
    let namespaces = if full {
        &sc.namespaces
    } else {
        &fragment.namespaces
    };
    if !(fragment.priority_classes.is_empty() && namespaces.is_empty()) {
        out.push_str(&yaml(&PrioNs {
            priority_classes: &fragment.priority_classes,
            namespaces,
        }));
        if full && namespaces.len() > fragment.namespaces.len() {
            comment(
                out,
                &format!("({PLACEHOLDER_NAMESPACE} is added for the placeholder classes.)"),
            );
        }
        out.push('\n');
    }
}

/// The pools, each under a comment naming the nodes it came from.
fn pools(out: &mut String, fragment: &ScenarioFragment) {
    if !fragment.pools.is_empty() {
        out.push_str("pools:\n");
        for (i, p) in fragment.pools.iter().enumerate() {
            if let Some(nodes) = fragment.pool_nodes.get(i) {
                comment(out, &format!("nodes: {}", nodes.join(", ")));
            }
            out.push_str(&yaml(&[p]));
        }
        out.push('\n');
    }
}

/// The placeholder classes and workload of a full scenario.
fn placeholders(out: &mut String, sc: &Scenario) {
    comment(
        out,
        "---- PLACEHOLDERS: one class per pool and a light synthetic load, so that the file\nvalidates and runs. Replace them with your workload classes and trace. ----",
    );
    #[derive(Serialize)]
    struct Tail<'a> {
        classes: Vec<ClassView<'a>>,
        workload: &'a WorkloadSpec,
    }
    out.push_str(&yaml(&Tail {
        classes: sc.classes.iter().map(ClassView::from).collect(),
        workload: &sc.workload,
    }));
}
