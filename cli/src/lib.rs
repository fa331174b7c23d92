//! `glue-encryption-audit`: a read-only audit of Glue Data Catalog encryption in many regions
//! and accounts. For every account × region it reads the catalog's settings and judges them
//! with the guardrail's own inspection and policy, then prints one row each. It holds only a
//! reader of each catalog: it cannot write one.
//!
//! [`args`] is the command line, [`run`] the audit, [`report`] the table, the JSON and the exit
//! code, [`aws`] the two AWS APIs only the audit calls.

pub mod args;
pub mod aws;
pub mod report;
pub mod run;

pub use args::{Args, Expected};
pub use report::{
    EXIT_COMPLIANT, EXIT_INCOMPLETE, EXIT_NON_COMPLIANT, Row, RowError, Status, exit_code,
    render_json, render_table,
};
pub use run::{
    ALL_REGIONS, AuditError, Progress, ProgressLines, Quiet, audit, load_sdk_config, run,
    timeout_config,
};
