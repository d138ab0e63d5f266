//! Node selector, required node affinity, taints and tolerations, as kube-scheduler applies them.
//!
//! A node's labels are single-valued (`key=value`); "a pool for research and training" is written
//! as one label value per node and an affinity `In [research, training]` on the pods.

use crate::domain::{
    AffinityOperator, NodeSelectorRequirement, Taint, TaintEffect, Toleration, TolerationOperator,
};
use std::collections::BTreeMap;

/// Why a pod's node constraints rule a node out, or `Ok`.
pub fn check_labels(
    labels: &BTreeMap<String, String>,
    node_selector: &BTreeMap<String, String>,
    affinity: &[NodeSelectorRequirement],
) -> Result<(), String> {
    for (k, v) in node_selector {
        match labels.get(k) {
            Some(have) if have == v => {}
            Some(have) => {
                return Err(format!(
                    "node selector {k}={v} does not match label {k}={have}"
                ));
            }
            None => return Err(format!("node selector {k}={v}: nodes have no label {k}")),
        }
    }
    for r in affinity {
        let have = labels.get(&r.key);
        let ok = match r.operator {
            AffinityOperator::In => have.is_some_and(|v| r.values.contains(v)),
            AffinityOperator::NotIn => have.is_none_or(|v| !r.values.contains(v)),
            AffinityOperator::Exists => have.is_some(),
            AffinityOperator::DoesNotExist => have.is_none(),
        };
        if !ok {
            let label = have.map_or(format!("no label {}", r.key), |v| {
                format!("label {}={v}", r.key)
            });
            return Err(format!(
                "node affinity {} {:?} [{}] does not match {label}",
                r.key,
                r.operator,
                r.values.join(", ")
            ));
        }
    }
    Ok(())
}

/// Does some toleration let a pod onto a node with `taint`?
pub fn tolerates(tolerations: &[Toleration], taint: &Taint) -> bool {
    tolerations.iter().any(|t| {
        let effect_ok = t.effect.is_none_or(|e| e == taint.effect);
        let key_ok = match &t.key {
            // An empty key with Exists tolerates every taint.
            None => t.operator == TolerationOperator::Exists,
            Some(k) => *k == taint.key,
        };
        let value_ok = match t.operator {
            TolerationOperator::Exists => true,
            TolerationOperator::Equal => {
                t.value.as_deref().unwrap_or("") == taint.value.as_deref().unwrap_or("")
            }
        };
        effect_ok && key_ok && value_ok
    })
}

/// The first taint (NoSchedule or NoExecute) the pod does not tolerate.
pub fn untolerated<'a>(taints: &'a [Taint], tolerations: &[Toleration]) -> Option<&'a Taint> {
    taints
        .iter()
        .find(|t| t.effect != TaintEffect::PreferNoSchedule && !tolerates(tolerations, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn req(key: &str, op: AffinityOperator, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement {
            key: key.into(),
            operator: op,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn affinity_operators() {
        use AffinityOperator::*;
        let l = labels(&[("workload-type", "training")]);
        let none = BTreeMap::new();
        assert!(
            check_labels(
                &l,
                &none,
                &[req("workload-type", In, &["research", "training"])]
            )
            .is_ok()
        );
        assert!(check_labels(&l, &none, &[req("workload-type", In, &["inference"])]).is_err());
        assert!(check_labels(&l, &none, &[req("workload-type", NotIn, &["inference"])]).is_ok());
        assert!(check_labels(&l, &none, &[req("workload-type", NotIn, &["training"])]).is_err());
        // NotIn also matches nodes without the label, as in Kubernetes.
        assert!(check_labels(&l, &none, &[req("zone", NotIn, &["a"])]).is_ok());
        assert!(check_labels(&l, &none, &[req("workload-type", Exists, &[])]).is_ok());
        assert!(check_labels(&l, &none, &[req("zone", Exists, &[])]).is_err());
        assert!(check_labels(&l, &none, &[req("zone", DoesNotExist, &[])]).is_ok());
        assert!(check_labels(&l, &none, &[req("workload-type", DoesNotExist, &[])]).is_err());
        // Expressions of one term are ANDed.
        let both = [req("workload-type", Exists, &[]), req("zone", Exists, &[])];
        assert!(check_labels(&l, &none, &both).is_err());
        // The node selector must match exactly.
        assert!(check_labels(&l, &labels(&[("workload-type", "training")]), &[]).is_ok());
        assert!(check_labels(&l, &labels(&[("workload-type", "research")]), &[]).is_err());
    }

    #[test]
    fn tolerations_equal_and_exists() {
        let taint = Taint {
            key: "dedicated".into(),
            value: Some("inference".into()),
            effect: TaintEffect::NoSchedule,
        };
        let tol = |key: Option<&str>, op, value: Option<&str>, effect| Toleration {
            key: key.map(str::to_string),
            operator: op,
            value: value.map(str::to_string),
            effect,
        };
        use TolerationOperator::*;
        assert!(tolerates(
            &[tol(Some("dedicated"), Equal, Some("inference"), None)],
            &taint
        ));
        assert!(!tolerates(
            &[tol(Some("dedicated"), Equal, Some("training"), None)],
            &taint
        ));
        assert!(tolerates(
            &[tol(
                Some("dedicated"),
                Exists,
                None,
                Some(TaintEffect::NoSchedule)
            )],
            &taint
        ));
        assert!(!tolerates(
            &[tol(
                Some("dedicated"),
                Exists,
                None,
                Some(TaintEffect::NoExecute)
            )],
            &taint
        ));
        assert!(tolerates(&[tol(None, Exists, None, None)], &taint));
        let soft = Taint {
            effect: TaintEffect::PreferNoSchedule,
            ..taint.clone()
        };
        assert!(untolerated(&[soft], &[]).is_none());
        assert!(untolerated(std::slice::from_ref(&taint), &[]).is_some());
    }
}
