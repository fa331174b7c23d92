//! Pure core: the catalog's verdict as a Security Hub finding (AWS Security Finding Format).
//!
//! One finding per catalog (per account and region), upserted after every evaluation that
//! reached a verdict: its `Id` is stable, so Security Hub updates the same finding rather than
//! adding one per run. The finding only says what the guardrail found; its workflow (new,
//! notified, resolved, suppressed) belongs to Security Hub and to the people who triage it.

use super::action::EnforcementMode;
use super::policy::{Violation, codes};

/// The ASFF schema version.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// Every finding of the guardrail has this generator: the filter for all of them.
pub const GENERATOR_ID: &str = "glue-encryption-guardrail/data-catalog-encryption";
/// ASFF finding type: namespace/category/classifier.
pub const FINDING_TYPE: &str =
    "Software and Configuration Checks/AWS Security Best Practices/Glue Data Catalog Encryption";
/// The same for every catalog and every status, so that a finding keeps its title.
pub const TITLE: &str = "Glue Data Catalog is encrypted with the organization's own KMS key";
/// What a person fixing the catalog by hand sets: AWS's reference of the two sub-settings. (The
/// guardrail's own docs/security-hub.md explains the finding; it has no public address this
/// code can know.)
pub const REMEDIATION_URL: &str =
    "https://docs.aws.amazon.com/glue/latest/webapi/API_DataCatalogEncryptionSettings.html";
const REMEDIATION_TEXT: &str = "The guardrail re-applies both settings with the organization's key \
     in remediate mode. In detect mode, or while the catalog is exempt, set metadata encryption \
     (SSE-KMS) and connection password encryption with the key in the stack's KmsKeyParameter, \
     by its ARN.";
/// ASFF limits.
const MAX_DESCRIPTION: usize = 1024;
const MAX_PRODUCT_FIELD_VALUE: usize = 2048;

/// Whether the catalog meets the policy, as Security Hub's `Compliance.Status` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compliance {
    /// Compliant, or just remediated and verified.
    Passed,
    /// Out of policy: drift reported in detect mode, held by an exemption, or not fixed.
    Failed,
    /// The guardrail cannot evaluate the catalog (a missing parameter, an unusable key): no
    /// verdict, and nobody guards it until someone fixes the deployment.
    NotAvailable,
}

impl Compliance {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "PASSED",
            Self::Failed => "FAILED",
            Self::NotAvailable => "NOT_AVAILABLE",
        }
    }

    /// The severity that goes with it. Drift is HIGH: connection passwords (database
    /// credentials) then come back in plaintext to anyone allowed glue:GetConnection, or the
    /// catalog's metadata is under a key the organization does not control. A catalog nobody
    /// can evaluate is MEDIUM: unknown, and unguarded. A compliant one is INFORMATIONAL, as
    /// Security Hub labels the passed checks of its own controls.
    pub fn severity(self) -> &'static str {
        match self {
            Self::Passed => "INFORMATIONAL",
            Self::Failed => "HIGH",
            Self::NotAvailable => "MEDIUM",
        }
    }
}

/// Where the finding lives and what it is about.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub partition: &'a str,
    pub account: &'a str,
    pub region: &'a str,
}

impl Scope<'_> {
    /// The account's own default product in this region, the only product ARN an account
    /// may import its own findings under.
    pub fn product_arn(&self) -> String {
        format!(
            "arn:{}:securityhub:{}:{}:product/{}/default",
            self.partition, self.region, self.account, self.account
        )
    }

    /// The one finding of this catalog.
    pub fn finding_id(&self) -> String {
        format!(
            "glue-encryption-guardrail/{}/{}/data-catalog-encryption",
            self.account, self.region
        )
    }

    /// The Data Catalog's ARN.
    pub fn catalog_arn(&self) -> String {
        format!(
            "arn:{}:glue:{}:{}:catalog",
            self.partition, self.region, self.account
        )
    }
}

/// What an evaluation found, as far as the finding tells it.
#[derive(Debug, Clone)]
pub struct Verdict<'a> {
    pub compliance: Compliance,
    /// The sentence the audit record gives.
    pub reason: &'a str,
    pub violations: &'a [Violation],
    pub mode: EnforcementMode,
    /// The audit record's outcome code.
    pub outcome: &'a str,
    pub event_id: Option<&'a str>,
    pub expected_key_arn: Option<&'a str>,
}

/// A finding, in ASFF terms, without SDK types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: String,
    pub product_arn: String,
    pub generator_id: &'static str,
    pub aws_account_id: String,
    pub types: Vec<&'static str>,
    pub title: &'static str,
    pub description: String,
    pub severity: &'static str,
    pub compliance: &'static str,
    pub created_at: String,
    pub first_observed_at: String,
    pub updated_at: String,
    pub last_observed_at: String,
    pub remediation_text: &'static str,
    pub remediation_url: &'static str,
    pub resource_type: &'static str,
    pub resource_id: String,
    pub partition: String,
    pub region: String,
    /// Name → value, names under `glue-encryption-guardrail/`.
    pub product_fields: Vec<(String, String)>,
}

/// The finding for `verdict` on the catalog in `scope`. `first_seen` is when this catalog's
/// finding was first created (kept on every update: `CreatedAt`, `FirstObservedAt`), `now`
/// this evaluation (`UpdatedAt`, `LastObservedAt`); both RFC 3339.
pub fn finding(scope: Scope<'_>, verdict: &Verdict<'_>, first_seen: &str, now: &str) -> Finding {
    let field = |name: &str, value: &str| {
        (
            format!("glue-encryption-guardrail/{name}"),
            clip(value, MAX_PRODUCT_FIELD_VALUE),
        )
    };
    let mode = match verdict.mode {
        EnforcementMode::Remediate => "remediate",
        EnforcementMode::Detect => "detect",
    };
    let mut product_fields = vec![
        field("outcome", verdict.outcome),
        field("enforcement_mode", mode),
        field(
            "violations",
            match codes(verdict.violations).as_str() {
                "" => "none",
                listed => listed,
            },
        ),
    ];
    if let Some(event_id) = verdict.event_id {
        product_fields.push(field("event_id", event_id));
    }
    if let Some(key) = verdict.expected_key_arn {
        product_fields.push(field("expected_key_arn", key));
    }
    Finding {
        id: scope.finding_id(),
        product_arn: scope.product_arn(),
        generator_id: GENERATOR_ID,
        aws_account_id: scope.account.to_owned(),
        types: vec![FINDING_TYPE],
        title: TITLE,
        description: clip(verdict.reason, MAX_DESCRIPTION),
        severity: verdict.compliance.severity(),
        compliance: verdict.compliance.as_str(),
        created_at: first_seen.to_owned(),
        first_observed_at: first_seen.to_owned(),
        updated_at: now.to_owned(),
        last_observed_at: now.to_owned(),
        remediation_text: REMEDIATION_TEXT,
        remediation_url: REMEDIATION_URL,
        resource_type: "Other",
        resource_id: scope.catalog_arn(),
        partition: scope.partition.to_owned(),
        region: scope.region.to_owned(),
        product_fields,
    }
}

/// `text` cut to at most `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(max - 1).collect();
    clipped.push('…');
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCOPE: Scope<'static> = Scope {
        partition: "aws",
        account: "123456789012",
        region: "eu-west-1",
    };

    fn verdict(compliance: Compliance, violations: &[Violation]) -> Verdict<'_> {
        Verdict {
            compliance,
            reason: "drift found (metadata_encryption_disabled); detect mode writes nothing",
            violations,
            mode: EnforcementMode::Detect,
            outcome: "drift_detected",
            event_id: Some("e-1"),
            expected_key_arn: Some("arn:aws:kms:eu-west-1:123456789012:key/k"),
        }
    }

    #[test]
    fn a_catalog_has_one_finding_under_the_accounts_own_product() {
        let f = finding(
            SCOPE,
            &verdict(Compliance::Failed, &[Violation::MetadataEncryptionDisabled]),
            "2026-11-01T00:00:00.000Z",
            "2026-11-22T00:00:00.000Z",
        );
        assert_eq!(
            f.id,
            "glue-encryption-guardrail/123456789012/eu-west-1/data-catalog-encryption"
        );
        assert_eq!(
            f.product_arn,
            "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default"
        );
        assert_eq!(f.resource_id, "arn:aws:glue:eu-west-1:123456789012:catalog");
        assert_eq!(
            (f.compliance, f.severity),
            ("FAILED", "HIGH"),
            "drift is high"
        );
        assert_eq!(
            (f.created_at.as_str(), f.first_observed_at.as_str()),
            ("2026-11-01T00:00:00.000Z", "2026-11-01T00:00:00.000Z")
        );
        assert_eq!(
            (f.updated_at.as_str(), f.last_observed_at.as_str()),
            ("2026-11-22T00:00:00.000Z", "2026-11-22T00:00:00.000Z")
        );
        assert!(f.product_fields.contains(&(
            "glue-encryption-guardrail/violations".into(),
            "metadata_encryption_disabled".into()
        )));
        assert!(
            f.product_fields
                .contains(&("glue-encryption-guardrail/event_id".into(), "e-1".into()))
        );
    }

    #[test]
    fn the_title_and_id_never_change_with_the_verdict() {
        let failed = finding(
            SCOPE,
            &verdict(Compliance::Failed, &[Violation::PasswordKeyNotPinned]),
            "t0",
            "t1",
        );
        let passed = finding(SCOPE, &verdict(Compliance::Passed, &[]), "t0", "t2");
        assert_eq!((failed.id, failed.title), (passed.id, passed.title));
        assert_eq!(
            (passed.compliance, passed.severity),
            ("PASSED", "INFORMATIONAL")
        );
        assert!(
            passed
                .product_fields
                .contains(&("glue-encryption-guardrail/violations".into(), "none".into()))
        );
    }

    #[test]
    fn text_is_cut_to_the_asff_limits() {
        let long = "x".repeat(5000);
        let v = Verdict {
            reason: &long,
            event_id: Some(&long),
            ..verdict(Compliance::Failed, &[])
        };
        let f = finding(SCOPE, &v, "t0", "t1");
        assert_eq!(f.description.chars().count(), 1024);
        assert!(
            f.product_fields
                .iter()
                .all(|(k, v)| k.len() <= 128 && v.chars().count() <= 2048)
        );
        assert!(f.id.len() <= 512 && f.title.len() <= 256);
    }
}
