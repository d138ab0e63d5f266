//! Tests of the openb list readers.

use super::*;

const PODS: &str = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
openb-pod-0000,12000,16384,1,1000,,LS,Running,0,12537496,0
openb-pod-0009,12000,16384,1,460,V100M16|V100M32,LS,Running,4975773,12902960,
openb-pod-0010,4000,0,0,0,,BE,Pending,5,,
";

#[test]
fn reads_full_pod_rows() {
    let pods = read_pods_from(PODS.as_bytes(), "p.csv").unwrap();
    assert_eq!(pods.len(), 3);
    let p = &pods[1];
    assert_eq!(p.name, "openb-pod-0009");
    assert_eq!(
        (p.cpu_milli, p.memory_mib, p.num_gpu, p.gpu_milli),
        (12000, 16384, 1, 460)
    );
    assert_eq!(
        p.gpu_spec,
        vec!["V100M16".to_string(), "V100M32".to_string()]
    );
    assert_eq!(p.qos.as_deref(), Some("LS"));
    assert_eq!(p.pod_phase.as_deref(), Some("Running"));
    assert_eq!(p.creation_time, Some(4975773));
    assert_eq!(p.deletion_time, Some(12902960));
    assert_eq!(p.scheduled_time, None);
    assert_eq!(p.line, 3);
    assert!(pods[0].gpu_spec.is_empty());
    assert_eq!(pods[2].deletion_time, None);
    assert_eq!(pods[2].memory_mib, 0);
}

#[test]
fn reads_five_column_pod_rows() {
    let text = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\nopenb-pod-0000,12000,16384,8,1000\n";
    let pods = read_pods_from(text.as_bytes(), "m.csv").unwrap();
    assert_eq!(pods[0].num_gpu, 8);
    assert_eq!(pods[0].qos, None);
    assert!(pods[0].gpu_spec.is_empty());
    assert_eq!(pods[0].creation_time, None);
}

#[test]
fn reads_nodes() {
    let text = "sn,cpu_milli,memory_mib,gpu,model\nopenb-node-0000,32000,262144,0,\nopenb-node-0001,96000,393216,8,G2\n";
    let nodes = read_nodes_from(text.as_bytes(), "n.csv").unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0].model, "");
    assert_eq!(nodes[0].gpus, 0);
    assert_eq!(nodes[1].name, "openb-node-0001");
    assert_eq!(
        (nodes[1].cpu_milli, nodes[1].memory_mib, nodes[1].gpus),
        (96000, 393216, 8)
    );
    assert_eq!(nodes[1].model, "G2");
    assert_eq!(nodes[1].line, 3);
}

fn err_text<T: std::fmt::Debug>(r: Result<T, TraceError>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn malformed_rows_are_errors_with_line_and_column() {
    let bad_cpu = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\na,1,2,1,100\nb,-4,2,1,100\n";
    assert_eq!(
        err_text(read_pods_from(bad_cpu.as_bytes(), "p.csv")),
        "p.csv:3: column cpu_milli: `-4` is not a whole number >= 0 (or is too large)"
    );
    let short = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\na,1,2,1\n";
    assert_eq!(
        err_text(read_pods_from(short.as_bytes(), "p.csv")),
        "p.csv:2: 4 fields, but the header has 5"
    );
    let missing = "name,cpu_milli,num_gpu,gpu_milli\n";
    assert_eq!(
        err_text(read_pods_from(missing.as_bytes(), "p.csv")),
        "p.csv:1: missing column memory_mib (expected a header with name,cpu_milli,memory_mib,num_gpu,gpu_milli)"
    );
    let empty_gpu = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\na,1,2,,100\n";
    assert_eq!(
        err_text(read_pods_from(empty_gpu.as_bytes(), "p.csv")),
        "p.csv:2: column num_gpu: missing value (expected a whole number)"
    );
    let bad_time = "name,cpu_milli,memory_mib,num_gpu,gpu_milli,creation_time\na,1,2,1,100,soon\n";
    assert!(
        err_text(read_pods_from(bad_time.as_bytes(), "p.csv"))
            .starts_with("p.csv:2: column creation_time:")
    );
    let no_model = "sn,cpu_milli,memory_mib,gpu,model\nn,1,2,4,\n";
    assert_eq!(
        err_text(read_nodes_from(no_model.as_bytes(), "n.csv")),
        "n.csv:2: column model: missing value: the node has 4 GPUs but no model"
    );
    assert_eq!(
        err_text(read_nodes_from(&b""[..], "n.csv")),
        "n.csv: empty file (expected a header row)"
    );
    let bad_utf8: &[u8] = b"sn,cpu_milli,memory_mib,gpu,model\nn,1,2,4,\xff\n";
    assert!(err_text(read_nodes_from(bad_utf8, "n.csv")).starts_with("n.csv:2:"));
    let dup = "sn,sn,cpu_milli,memory_mib,gpu\n";
    assert_eq!(
        err_text(read_nodes_from(dup.as_bytes(), "n.csv")),
        "n.csv:1: column sn: appears more than once in the header"
    );
    assert!(matches!(
        read_pods(Path::new("/nonexistent/x.csv")),
        Err(TraceError::Io { .. })
    ));
}

#[test]
fn integer_spellings() {
    assert_eq!(parse_int::<u64>("12000.0"), Some(12000));
    assert_eq!(parse_int::<u64>("12000.5"), None);
    assert_eq!(parse_int::<u64>("1e3"), None);
    assert_eq!(parse_int::<u32>("99999999999"), None);
    assert_eq!(parse_int::<u32>(".0"), None);
}

/// The real files, when the shared folder is present.
#[test]
fn reads_the_shared_openb_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/traces/openb");
    if !dir.exists() {
        eprintln!("notice: {} absent; skipping", dir.display());
        return;
    }
    let nodes = read_nodes(&dir.join("openb_node_list_gpu_node.csv")).unwrap();
    assert_eq!(nodes.len(), 1213);
    assert_eq!(nodes.iter().map(|n| u64::from(n.gpus)).sum::<u64>(), 6212);
    let all = read_nodes(&dir.join("openb_node_list_all_node.csv")).unwrap();
    assert_eq!(all.iter().filter(|n| n.gpus == 0).count(), 310);
    let pods = read_pods(&dir.join("openb_pod_list_default.csv")).unwrap();
    assert_eq!(pods.len(), 8152);
    let multi = read_pods(&dir.join("openb_pod_list_multigpu50.csv")).unwrap();
    assert_eq!(multi.len(), 9061);
    assert!(multi.iter().all(|p| p.qos.is_none()));
}
