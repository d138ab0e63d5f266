use super::*;

fn input(text: &str) -> Vec<Input> {
    vec![Input {
        name: "k8s.yaml".into(),
        text: text.into(),
    }]
}

const DOCS: &str = "apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: production
value: 1000
preemptionPolicy: PreemptLowerPriority
description: serving
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: research
value: 100
globalDefault: true
preemptionPolicy: Never
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: gpu
  namespace: research
spec:
  hard:
    requests.nvidia.com/gpu: \"8\"
    nvidia.com/mig-3g.40gb: 2
    requests.cpu: \"64\"
    memory: 512Gi
---
apiVersion: v1
kind: Namespace
metadata:
  name: serving
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
";

#[test]
fn reads_priority_classes_quotas_and_namespaces() {
    let mut m = Messages::default();
    let got = parse(&input(DOCS), &mut m).unwrap();
    assert_eq!(got.priority_classes.len(), 2);
    assert_eq!(got.priority_classes[0].value, 1000);
    assert!(got.priority_classes[1].global_default);
    assert_eq!(
        got.priority_classes[1].preemption_policy,
        PreemptionPolicy::Never
    );
    let names: Vec<&str> = got.namespaces.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, vec!["research", "serving"]);
    let q = &got.namespaces[0].quota;
    assert_eq!(q.get("requests.nvidia.com/gpu"), Some(&8));
    assert_eq!(q.get("requests.nvidia.com/mig-3g.40gb"), Some(&2));
    assert_eq!(q.len(), 2);
    assert_eq!(
            m.warnings,
            vec![
                "k8s.yaml:22: [doc 3].spec.hard: ResourceQuota research/gpu: not modelled by the simulator, ignored: requests.cpu, memory".to_string(),
                "k8s.yaml:34: [doc 5]: kind Deployment (web) is not imported (only PriorityClass, ResourceQuota and Namespace are)".to_string(),
                "k8s.yaml: ignored (no effect on the simulation): PriorityClass.description".to_string(),
            ]
        );
}

#[test]
fn malformed_manifests_are_errors() {
    for (text, want) in [
        (
            "kind: PriorityClass\nmetadata: {name: x}\nvalue: [\n",
            "k8s.yaml: not valid YAML",
        ),
        (
            "kind: PriorityClass\nmetadata: {name: x}\nvalue: high\n",
            "k8s.yaml:3: [doc 1].value: \"high\" is not a 32-bit integer",
        ),
        (
            "kind: PriorityClass\nmetadata: {name: x}\nvalue: 3000000000\n",
            "k8s.yaml:3: [doc 1].value: 3000000000 is not a 32-bit integer",
        ),
        (
            "kind: PriorityClass\nmetadata: {name: x}\n",
            "k8s.yaml:1: [doc 1].value: PriorityClass x has no value",
        ),
        (
            "kind: PriorityClass\nmetadata: {name: x}\nvalue: 1\npreemptionPolicy: Sometimes\n",
            "k8s.yaml:4: [doc 1].preemptionPolicy: \"Sometimes\"",
        ),
        (
            "kind: ResourceQuota\nmetadata: {name: q, namespace: a}\nspec:\n  hard:\n    requests.nvidia.com/gpu: 1.5\n",
            "k8s.yaml:5: [doc 1].spec.hard.requests.nvidia.com/gpu: 1.5 is not a whole number",
        ),
        (
            "kind: PriorityClass\nmetadata: {name: a}\nvalue: 1\nglobalDefault: true\n---\nkind: PriorityClass\nmetadata: {name: b}\nvalue: 2\nglobalDefault: true\n",
            "more than one PriorityClass has globalDefault: true (a, b)",
        ),
    ] {
        let mut m = Messages::default();
        assert!(parse(&input(text), &mut m).is_none(), "{text}");
        assert!(m.errors[0].starts_with(want), "{:?} vs {want}", m.errors);
    }
}

#[test]
fn lists_limits_scopes_and_merged_quotas() {
    let text = "apiVersion: v1
kind: List
items:
  - kind: ResourceQuota
    metadata: {name: a, namespace: ml}
    spec:
      hard: {requests.nvidia.com/gpu: 8, limits.nvidia.com/gpu: 8}
  - kind: ResourceQuota
    metadata: {name: b, namespace: ml}
    spec:
      scopes: [BestEffort]
      hard: {nvidia.com/gpu: 4}
";
    let mut m = Messages::default();
    let got = parse(&input(text), &mut m).unwrap();
    assert_eq!(
        got.namespaces[0].quota.get("requests.nvidia.com/gpu"),
        Some(&4)
    );
    let all = m.warnings.join("\n");
    assert!(
        all.contains(
            "limits.nvidia.com/gpu: Kubernetes quotas extended resources by requests only"
        ),
        "{all}"
    );
    assert!(all.contains("quota scopes are not supported"), "{all}");
    assert!(
        all.contains("namespace ml has another ResourceQuota (k8s.yaml:4)"),
        "{all}"
    );
}
