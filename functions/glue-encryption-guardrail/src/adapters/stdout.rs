//! Adapter: standard output, which Lambda sends to CloudWatch Logs.

use crate::core::metrics::emf_document;
use crate::core::record::AuditRecord;
use crate::ports::AuditSink;
use std::io::Write;

/// Writes each record as one JSON line on standard output, which Lambda sends to CloudWatch
/// Logs, in Embedded Metric Format. The record is written whole, as JSON, rather than through
/// `tracing`, so that its nested `before` and `after` stay objects a Logs Insights query can
/// read, and so that the one line is both the audit trail and the metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdoutAudit;

impl AuditSink for StdoutAudit {
    fn record(&self, record: &AuditRecord) {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let mut line = match serde_json::to_vec(&emf_document(record, now_ms)) {
            Ok(line) => line,
            Err(e) => {
                tracing::error!(error = %e, "could not serialize the audit record");
                return;
            }
        };
        line.push(b'\n');
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(&line).and_then(|()| out.flush()) {
            tracing::error!(error = %e, "could not write the audit record");
        }
    }
}
