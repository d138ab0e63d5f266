//! The trace formats slicesim reads, and how a file's header row tells which one it is.

use super::error::TraceError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The trace formats slicesim reads.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum TraceFormat {
    /// slicesim's own CSV (docs/TRACE.md).
    #[default]
    Native,
    /// Alibaba cluster-trace-gpu-v2023 pod lists.
    Openb,
    /// Microsoft Philly jobs as prepared by the Pollux artifact.
    Philly,
    /// Azure LLM inference request logs (2023).
    AzureLlm,
}

impl TraceFormat {
    pub const ALL: [TraceFormat; 4] = [
        TraceFormat::Native,
        TraceFormat::Openb,
        TraceFormat::Philly,
        TraceFormat::AzureLlm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TraceFormat::Native => "native",
            TraceFormat::Openb => "openb",
            TraceFormat::Philly => "philly",
            TraceFormat::AzureLlm => "azure-llm",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The columns that identify the format (shown in messages).
    pub fn columns(self) -> &'static str {
        match self {
            TraceFormat::Native => "id, submit, class, duration, ... (docs/TRACE.md)",
            TraceFormat::Openb => {
                "name, cpu_milli, memory_mib, num_gpu, gpu_milli[, gpu_spec, qos, pod_phase, \
                 creation_time, deletion_time, scheduled_time]"
            }
            TraceFormat::Philly => "timestamp, duration, num_gpus, gpu_time, cluster",
            TraceFormat::AzureLlm => "TIMESTAMP, ContextTokens, GeneratedTokens",
        }
    }

    /// The class imported jobs get when the mapping names none.
    pub fn default_class(self) -> &'static str {
        match self {
            TraceFormat::Native => "",
            TraceFormat::Openb => "openb",
            TraceFormat::Philly => "philly",
            TraceFormat::AzureLlm => "llm",
        }
    }
}

impl std::fmt::Display for TraceFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Tells a trace's format from its header row.
pub fn detect(path: &Path) -> Result<TraceFormat, TraceError> {
    use std::io::BufRead;
    let source = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|error| TraceError::Io {
        source_name: source.clone(),
        error,
    })?;
    let mut header = String::new();
    let mut reader = std::io::BufReader::new(file);
    loop {
        header.clear();
        let n = reader
            .read_line(&mut header)
            .map_err(|error| TraceError::Io {
                source_name: source.clone(),
                error,
            })?;
        if n == 0 {
            return Err(TraceError::File {
                source_name: source,
                message: "the file is empty; cannot tell its format (expected a header row)".into(),
            });
        }
        if !header.trim().is_empty() {
            break;
        }
    }
    detect_header(&header).map_err(|message| TraceError::File {
        source_name: source,
        message,
    })
}

/// The format a header line belongs to, or a message listing the known headers.
pub fn detect_header(header: &str) -> Result<TraceFormat, String> {
    let cols: Vec<String> = header
        .trim_start_matches('\u{feff}')
        .trim()
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let has = |names: &[&str]| names.iter().all(|n| cols.iter().any(|c| c == n));
    if has(&["id", "submit", "class", "duration"]) {
        Ok(TraceFormat::Native)
    } else if has(&["name", "num_gpu", "gpu_milli"]) {
        Ok(TraceFormat::Openb)
    } else if has(&["timestamp", "contexttokens", "generatedtokens"]) {
        Ok(TraceFormat::AzureLlm)
    } else if has(&["timestamp", "duration", "num_gpus"]) {
        Ok(TraceFormat::Philly)
    } else if has(&["sn", "gpu", "model"]) {
        Err(
            "this is an openb node list, not a job trace: turn it into pools with \
             `slicesim trace pools FILE`"
                .into(),
        )
    } else {
        let known: Vec<String> = TraceFormat::ALL
            .iter()
            .map(|f| format!("{f} ({})", f.columns()))
            .collect();
        let shown: String = header.trim().chars().take(120).collect();
        Err(format!(
            "cannot tell the trace format from the header `{shown}`; known formats: {}. Pass \
             the format explicitly (--format), or convert the trace to the native format",
            known.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_tell_the_format() {
        let cases = [
            ("id,submit,class,duration", TraceFormat::Native),
            ("\u{feff}duration, class ,id,submit,u", TraceFormat::Native),
            (
                "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,\
                 creation_time,deletion_time,scheduled_time",
                TraceFormat::Openb,
            ),
            (
                "name,cpu_milli,memory_mib,num_gpu,gpu_milli",
                TraceFormat::Openb,
            ),
            (
                "timestamp,duration,num_gpus,gpu_time,cluster",
                TraceFormat::Philly,
            ),
            (
                "TIMESTAMP,ContextTokens,GeneratedTokens\r\n",
                TraceFormat::AzureLlm,
            ),
        ];
        for (h, f) in cases {
            assert_eq!(detect_header(h), Ok(f), "{h}");
        }
        assert!(
            detect_header("sn,cpu_milli,memory_mib,gpu,model")
                .unwrap_err()
                .contains("openb node list")
        );
        let e = detect_header("job_id,user,submit_time,gpu_num").unwrap_err();
        assert!(
            e.starts_with(
                "cannot tell the trace format from the header `job_id,user,submit_time,gpu_num`"
            ),
            "{e}"
        );
        assert!(e.contains("philly (timestamp, duration"), "{e}");
    }

    #[test]
    fn formats_parse_and_print() {
        for f in TraceFormat::ALL {
            assert_eq!(TraceFormat::parse(f.as_str()), Some(f));
        }
        assert_eq!(TraceFormat::parse("azure_llm"), None);
    }
}
