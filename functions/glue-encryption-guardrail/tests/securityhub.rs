//! The Security Hub adapter's requests, exactly: the finding as ASFF with every required field
//! within its limits, the one-finding read, and a refusal reported in the answer's body.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_securityhub::operation::batch_import_findings::{
    BatchImportFindingsInput, BatchImportFindingsOutput,
};
use aws_sdk_securityhub::operation::get_findings::{GetFindingsInput, GetFindingsOutput};
use aws_sdk_securityhub::types as sdk;
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use glue_encryption_guardrail::adapters::securityhub::SecurityHubFindings;
use glue_encryption_guardrail::app::findings::FindingPublisher;
use glue_encryption_guardrail::core::action::EnforcementMode;
use glue_encryption_guardrail::core::finding::{Compliance, GENERATOR_ID, Scope, Verdict};
use glue_encryption_guardrail::core::policy::Violation;
use glue_encryption_guardrail::ports::AwsErrorKind;
use std::sync::{Arc, Mutex};

const SCOPE: Scope<'static> = Scope {
    partition: "aws",
    account: "123456789012",
    region: "eu-west-1",
};
const PRODUCT: &str = "arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default";

fn verdict(compliance: Compliance) -> Verdict<'static> {
    Verdict {
        compliance,
        reason: "drift found (metadata_encryption_disabled); detect mode writes nothing",
        violations: &[Violation::MetadataEncryptionDisabled],
        mode: EnforcementMode::Detect,
        outcome: "drift_detected",
        event_id: Some("a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a5b"),
        expected_key_arn: Some("arn:aws:kms:eu-west-1:123456789012:key/k"),
    }
}

fn now() -> jiff::Timestamp {
    "2026-12-02T10:00:00.123Z".parse().unwrap()
}

/// Every import the mock received.
type Imports = Arc<Mutex<Vec<BatchImportFindingsInput>>>;

#[tokio::test]
async fn a_new_finding_carries_every_required_asff_field_within_its_limits() {
    // given no finding yet
    let reads: Arc<Mutex<Vec<GetFindingsInput>>> = Arc::default();
    let seen = Arc::clone(&reads);
    let get = mock!(aws_sdk_securityhub::Client::get_findings)
        .match_requests(move |input| {
            seen.lock().unwrap().push(input.clone());
            true
        })
        .then_output(|| GetFindingsOutput::builder().build());
    let imports: Imports = Arc::default();
    let received = Arc::clone(&imports);
    let import = mock!(aws_sdk_securityhub::Client::batch_import_findings)
        .match_requests(move |input| {
            received.lock().unwrap().push(input.clone());
            true
        })
        .then_output(|| {
            BatchImportFindingsOutput::builder()
                .success_count(1)
                .failed_count(0)
                .build()
        });
    let client = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, [&get, &import]);
    let publisher = FindingPublisher::new(SecurityHubFindings::new(client));

    // when the verdict is published
    publisher
        .publish(SCOPE, &verdict(Compliance::Failed), now())
        .await
        .unwrap();

    // then the read asked for exactly this finding
    let read = reads.lock().unwrap()[0].clone();
    let filters = read.filters().unwrap();
    let equals = |f: &[sdk::StringFilter]| {
        f.iter()
            .map(|f| {
                assert_eq!(f.comparison(), Some(&sdk::StringFilterComparison::Equals));
                f.value().unwrap().to_owned()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(equals(filters.product_arn()), [PRODUCT]);
    assert_eq!(
        equals(filters.id()),
        ["glue-encryption-guardrail/123456789012/eu-west-1/data-catalog-encryption"]
    );

    // and the import is one finding, with every required attribute, each within its limits
    let imports = imports.lock().unwrap();
    assert_eq!(imports.len(), 1);
    let findings = imports[0].findings();
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f.schema_version(), Some("2018-10-08"));
    let id = f.id().unwrap();
    assert!((1..=512).contains(&id.len()));
    assert_eq!(f.product_arn(), Some(PRODUCT));
    assert_eq!(f.generator_id(), Some(GENERATOR_ID));
    assert!(GENERATOR_ID.len() <= 512);
    assert_eq!(f.aws_account_id(), Some("123456789012"));
    assert_eq!(f.created_at(), Some("2026-12-02T10:00:00.123Z"));
    assert_eq!(
        f.updated_at(),
        f.created_at(),
        "equal when the finding is created"
    );
    assert_eq!(f.first_observed_at(), f.created_at());
    assert_eq!(f.last_observed_at(), f.updated_at());
    let title = f.title().unwrap();
    assert!((1..=256).contains(&title.len()));
    let description = f.description().unwrap();
    assert!((1..=1024).contains(&description.chars().count()));
    for finding_type in f.types() {
        let parts: Vec<_> = finding_type.split('/').collect();
        assert!((2..=3).contains(&parts.len()), "{finding_type}");
        assert_eq!(parts[0], "Software and Configuration Checks");
    }
    assert_eq!(
        f.severity().and_then(|s| s.label()),
        Some(&sdk::SeverityLabel::High)
    );
    let provided = f.finding_provider_fields().unwrap();
    assert_eq!(
        provided.severity().and_then(|s| s.label()),
        Some(&sdk::SeverityLabel::High),
        "an update's severity travels in FindingProviderFields"
    );
    assert_eq!(provided.types(), f.types());
    assert!(!f.types().is_empty());
    assert_eq!(
        f.compliance().and_then(|c| c.status()),
        Some(&sdk::ComplianceStatus::Failed)
    );
    assert_eq!(f.record_state(), Some(&sdk::RecordState::Active));
    assert!(
        f.workflow().is_none(),
        "the workflow is Security Hub's and people's"
    );
    let recommendation = f.remediation().and_then(|r| r.recommendation()).unwrap();
    assert!((1..=512).contains(&recommendation.text().unwrap().len()));
    assert!(recommendation.url().unwrap().starts_with("https://"));
    let resources = f.resources();
    assert_eq!(resources.len(), 1);
    let catalog = &resources[0];
    assert_eq!(catalog.r#type(), Some("Other"));
    assert_eq!(
        catalog.id(),
        Some("arn:aws:glue:eu-west-1:123456789012:catalog")
    );
    assert_eq!(catalog.partition(), Some(&sdk::Partition::Aws));
    assert_eq!(catalog.region(), Some("eu-west-1"));
    let fields = f.product_fields().unwrap();
    assert!(fields.len() <= 50);
    for (name, value) in fields {
        assert!(name.len() <= 128 && value.chars().count() <= 2048, "{name}");
        assert!(name.starts_with("glue-encryption-guardrail/"), "{name}");
    }
    assert_eq!(
        fields
            .get("glue-encryption-guardrail/violations")
            .map(String::as_str),
        Some("metadata_encryption_disabled")
    );
    assert_eq!(
        fields
            .get("glue-encryption-guardrail/enforcement_mode")
            .map(String::as_str),
        Some("detect")
    );
    assert_eq!(
        fields
            .get("glue-encryption-guardrail/event_id")
            .map(String::as_str),
        Some("a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a5b")
    );
}

#[tokio::test]
async fn an_existing_finding_keeps_its_creation_time() {
    let get = mock!(aws_sdk_securityhub::Client::get_findings).then_output(|| {
        GetFindingsOutput::builder()
            .findings(
                sdk::AwsSecurityFinding::builder()
                    .id("glue-encryption-guardrail/123456789012/eu-west-1/data-catalog-encryption")
                    .created_at("2026-01-01T00:00:00.000Z")
                    .build(),
            )
            .build()
    });
    let imports: Imports = Arc::default();
    let received = Arc::clone(&imports);
    let import = mock!(aws_sdk_securityhub::Client::batch_import_findings)
        .match_requests(move |input| {
            received.lock().unwrap().push(input.clone());
            true
        })
        .then_output(|| BatchImportFindingsOutput::builder().failed_count(0).build());
    let client = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, [&get, &import]);
    let publisher = FindingPublisher::new(SecurityHubFindings::new(client));

    publisher
        .publish(SCOPE, &verdict(Compliance::Passed), now())
        .await
        .unwrap();
    publisher
        .publish(SCOPE, &verdict(Compliance::Passed), now())
        .await
        .unwrap();

    assert_eq!(get.num_calls(), 1, "read once");
    let imports = imports.lock().unwrap();
    let times: Vec<_> = imports
        .iter()
        .map(|i| {
            let f = &i.findings()[0];
            (
                f.created_at().unwrap().to_owned(),
                f.first_observed_at().unwrap().to_owned(),
                f.updated_at().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(times[0].0, "2026-01-01T00:00:00.000Z");
    assert_eq!(times[0].1, "2026-01-01T00:00:00.000Z");
    assert_eq!(times[1].0, "2026-01-01T00:00:00.000Z");
    assert_eq!(times[0].2, "2026-12-02T10:00:00.123Z");
    assert_eq!(
        times[1].2, "2026-12-02T10:00:00.124Z",
        "a same-millisecond update moves on"
    );
}

#[tokio::test]
async fn a_finding_refused_in_the_answer_is_an_error_naming_the_cause() {
    let get = mock!(aws_sdk_securityhub::Client::get_findings)
        .then_output(|| GetFindingsOutput::builder().build());
    let import = mock!(aws_sdk_securityhub::Client::batch_import_findings).then_output(|| {
        BatchImportFindingsOutput::builder()
            .success_count(0)
            .failed_count(1)
            .failed_findings(
                sdk::ImportFindingsError::builder()
                    .id("glue-encryption-guardrail/123456789012/eu-west-1/data-catalog-encryption")
                    .error_code("InvalidAccess")
                    .error_message("Account 123456789012 is not subscribed to AWS Security Hub")
                    .build(),
            )
            .build()
    });
    let client = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, [&get, &import]);
    let publisher = FindingPublisher::new(SecurityHubFindings::new(client));

    let err = publisher
        .publish(SCOPE, &verdict(Compliance::Failed), now())
        .await
        .unwrap_err();

    assert_eq!(err.action, "securityhub:BatchImportFindings");
    assert_eq!(err.kind, AwsErrorKind::AccessDenied);
    assert_eq!(err.code.as_deref(), Some("InvalidAccess"));
    assert!(err.message.contains("not subscribed"), "{err}");
}
