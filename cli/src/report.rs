//! The report: one row per catalog, as a table or as JSON, and the exit code.

use glue_encryption_guardrail::app::error::GuardrailError;
use glue_encryption_guardrail::app::inspect::{Incomplete, Inspection};
use glue_encryption_guardrail::core::policy::Violation;
use glue_encryption_guardrail::core::settings::CatalogSettings;
use glue_encryption_guardrail::ports::AwsErrorKind;
use serde::Serialize;

/// Every catalog evaluated is compliant.
pub const EXIT_COMPLIANT: u8 = 0;
/// At least one catalog is non-compliant, and every one was evaluated.
pub const EXIT_NON_COMPLIANT: u8 = 1;
/// At least one account or region could not be evaluated (or the audit could not start, or
/// the arguments were wrong). Takes precedence over 1: an unevaluated catalog may drift too.
pub const EXIT_INCOMPLETE: u8 = 2;

/// What the audit found for one catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Both settings use the expected key.
    Compliant,
    /// Evaluated, and something falls short of the policy.
    Drift,
    /// Could not be evaluated.
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compliant => "compliant",
            Self::Drift => "drift",
            Self::Error => "error",
        }
    }
}

/// Why a row could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The guardrail's stable error code (`parameter_not_found`, `access_denied`, ...).
    pub code: String,
    pub message: String,
    /// Whether running the audit again may succeed without anyone changing anything.
    pub transient: bool,
}

impl From<&GuardrailError> for RowError {
    fn from(e: &GuardrailError) -> Self {
        let message = match e {
            // The guardrail's wording speaks of its execution role; here it is the operator's.
            GuardrailError::Aws(aws) if aws.kind == AwsErrorKind::AccessDenied => {
                aws.describe("the credentials")
            }
            other => other.to_string(),
        };
        Self {
            code: e.code().to_owned(),
            message,
            transient: e.is_transient(),
        }
    }
}

/// One catalog: an account's, in one region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub account: String,
    /// The region, or `*` when the account's regions could not be listed.
    pub region: String,
    pub status: Status,
    /// The settings as read, when they could be.
    pub settings: Option<CatalogSettings>,
    /// The key the catalog must use, when it was found.
    pub expected_key_arn: Option<String>,
    /// What falls short of the policy; empty unless `drift`.
    pub violations: Vec<Violation>,
    pub error: Option<RowError>,
}

impl Row {
    pub(crate) fn from_result(
        account: &str,
        region: &str,
        result: Result<Inspection, Incomplete>,
    ) -> Self {
        match result {
            Ok(inspection) => Self {
                account: account.to_owned(),
                region: region.to_owned(),
                status: if inspection.is_compliant() {
                    Status::Compliant
                } else {
                    Status::Drift
                },
                settings: Some(inspection.settings),
                expected_key_arn: Some(inspection.expected_key.key.arn),
                violations: inspection.violations,
                error: None,
            },
            Err(incomplete) => Self {
                account: account.to_owned(),
                region: region.to_owned(),
                status: Status::Error,
                settings: incomplete.settings,
                expected_key_arn: incomplete.expected_key.map(|k| k.arn),
                violations: Vec::new(),
                error: Some(RowError::from(&incomplete.error)),
            },
        }
    }

    /// A row that could not be evaluated, for `error`.
    pub(crate) fn error(account: &str, region: &str, error: RowError) -> Self {
        Self {
            account: account.to_owned(),
            region: region.to_owned(),
            status: Status::Error,
            settings: None,
            expected_key_arn: None,
            violations: Vec::new(),
            error: Some(error),
        }
    }
}

/// The exit code the rows call for: 2 if any row is an error (or there is none), else 1 if
/// any drifted, else 0.
pub fn exit_code(rows: &[Row]) -> u8 {
    if rows.is_empty() || rows.iter().any(|r| r.status == Status::Error) {
        EXIT_INCOMPLETE
    } else if rows.iter().any(|r| r.status == Status::Drift) {
        EXIT_NON_COMPLIANT
    } else {
        EXIT_COMPLIANT
    }
}

/// The rows as one JSON document: an array of rows with their full settings.
pub fn render_json(rows: &[Row]) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(rows)
}

/// The rows as an aligned table, a summary line, and each error's message.
pub fn render_table(rows: &[Row]) -> String {
    const HEADER: [&str; 8] = [
        "ACCOUNT",
        "REGION",
        "STATUS",
        "AT-REST",
        "AT-REST-KEY",
        "PASSWORDS",
        "PASSWORD-KEY",
        "VIOLATIONS",
    ];
    let cells: Vec<[String; 8]> = rows.iter().map(cells).collect();
    let mut widths = HEADER.map(str::len);
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |row: [&str; 8]| {
        let mut text = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  "));
            }
        }
        text.trim_end().to_owned() + "\n"
    };
    let mut out = line(HEADER);
    for row in &cells {
        out.push_str(&line(row.each_ref().map(String::as_str)));
    }
    let count = |status| rows.iter().filter(|r| r.status == status).count();
    out.push_str(&format!(
        "\n{} catalog(s): {} compliant, {} drift, {} error\n",
        rows.len(),
        count(Status::Compliant),
        count(Status::Drift),
        count(Status::Error)
    ));
    let errors: Vec<_> = rows
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| (r, e)))
        .collect();
    if !errors.is_empty() {
        out.push_str("\nerrors:\n");
        for (row, error) in errors {
            out.push_str(&format!(
                "  {} {}: {}\n",
                row.account, row.region, error.message
            ));
        }
    }
    out
}

fn cells(row: &Row) -> [String; 8] {
    let dash = || "-".to_owned();
    let key = |k: Option<&str>| k.map_or_else(dash, |k| short_key(k, row));
    let (at_rest, at_rest_key, passwords, password_key) = match &row.settings {
        Some(s) => (
            s.encryption_at_rest
                .catalog_encryption_mode
                .as_str()
                .to_owned(),
            key(s.encryption_at_rest.sse_aws_kms_key_id.as_deref()),
            if s.connection_password_encryption
                .return_connection_password_encrypted
            {
                "encrypted".to_owned()
            } else {
                "plain".to_owned()
            },
            key(s.connection_password_encryption.aws_kms_key_id.as_deref()),
        ),
        None => (dash(), dash(), dash(), dash()),
    };
    let violations = match (&row.error, row.violations.is_empty()) {
        (Some(e), _) => format!("error: {}", e.code),
        (None, true) => dash(),
        (None, false) => {
            let codes: Vec<_> = row.violations.iter().map(|v| v.code()).collect();
            codes.join(",")
        }
    };
    [
        row.account.clone(),
        row.region.clone(),
        row.status.as_str().to_owned(),
        at_rest,
        at_rest_key,
        passwords,
        password_key,
        violations,
    ]
}

/// A key or alias ARN of the row's own account and region, shortened to `key/…` or
/// `alias/…`; anything else as stored.
fn short_key(reference: &str, row: &Row) -> String {
    let own = format!(":kms:{}:{}:", row.region, row.account);
    match reference.split_once(&own) {
        Some((prefix, resource))
            if prefix.starts_with("arn:") && prefix.matches(':').count() == 1 =>
        {
            resource.to_owned()
        }
        _ => reference.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glue_encryption_guardrail::core::settings::{
        CatalogEncryptionMode, ConnectionPasswordEncryption, EncryptionAtRest,
    };

    const KEY: &str = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const OTHER: &str =
        "arn:aws:kms:us-east-1:123456789012:key/9f8e7d6c-5b4a-4321-8fed-cba987654321";

    fn row(region: &str, status: Status) -> Row {
        Row {
            account: "123456789012".into(),
            region: region.into(),
            status,
            settings: Some(CatalogSettings {
                encryption_at_rest: EncryptionAtRest {
                    catalog_encryption_mode: CatalogEncryptionMode::SseKms,
                    sse_aws_kms_key_id: Some(KEY.into()),
                    catalog_encryption_service_role: None,
                },
                connection_password_encryption: ConnectionPasswordEncryption {
                    return_connection_password_encrypted: true,
                    aws_kms_key_id: Some(KEY.into()),
                },
            }),
            expected_key_arn: Some(KEY.into()),
            violations: Vec::new(),
            error: None,
        }
    }

    #[test]
    fn an_error_outranks_drift_which_outranks_compliance() {
        let (ok, drift, error) = (
            row("us-east-1", Status::Compliant),
            row("eu-west-1", Status::Drift),
            row("eu-west-2", Status::Error),
        );
        assert_eq!(exit_code(std::slice::from_ref(&ok)), EXIT_COMPLIANT);
        assert_eq!(exit_code(&[ok.clone(), drift.clone()]), EXIT_NON_COMPLIANT);
        assert_eq!(exit_code(&[ok, drift, error]), EXIT_INCOMPLETE);
        assert_eq!(exit_code(&[]), EXIT_INCOMPLETE);
    }

    #[test]
    fn the_table_shows_both_keys_and_shortens_the_rows_own() {
        let mut other = row("us-east-1", Status::Drift);
        if let Some(settings) = other.settings.as_mut() {
            settings.connection_password_encryption.aws_kms_key_id = Some(OTHER.into());
        }
        other.violations = vec![
            Violation::MetadataKeyNotExpected,
            Violation::PasswordKeyNotExpected,
        ];
        let table = render_table(&[row("eu-west-1", Status::Compliant), other]);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].contains("AT-REST-KEY") && lines[0].contains("PASSWORD-KEY"));
        // both keys of the row's own region, shortened
        assert_eq!(
            lines[1]
                .matches(" key/1234abcd-12ab-34cd-56ef-1234567890ab ")
                .count(),
            2,
            "{table}"
        );
        // a key of another region is shown whole: it is not the row's own; the password key
        // of the same row is shortened
        assert!(lines[2].contains(KEY), "{table}");
        assert!(
            lines[2].contains(" key/9f8e7d6c-5b4a-4321-8fed-cba987654321 "),
            "{table}"
        );
        assert!(
            lines[2].ends_with("metadata_key_not_expected,password_key_not_expected"),
            "{table}"
        );
        assert!(
            table.contains("2 catalog(s): 1 compliant, 1 drift, 0 error"),
            "{table}"
        );
    }
}
