//! Security Hub findings on the emulator, through the real SDK clients: moto keeps findings as
//! an upsert by `Id`, as Security Hub does.

use aws_sdk_securityhub::types::{AwsSecurityFinding, ComplianceStatus, SeverityLabel};
use glue_encryption_guardrail::app::config::{Config, EnforcementMode};
use glue_encryption_guardrail::core::record::{Outcome, PublicationStatus};
use guardrail_system_tests::*;

fn config(mode: EnforcementMode) -> Config {
    Config {
        enforcement_mode: mode,
        ..deployed_config()
    }
}

fn status(finding: &AwsSecurityFinding) -> Option<&ComplianceStatus> {
    finding.compliance().and_then(|c| c.status())
}

#[tokio::test]
async fn drift_is_one_failed_finding_the_fix_turns_it_passed_and_it_stays_one() -> Result<(), Error>
{
    // given a drifted catalog
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    let drift = event("put-encryption-disabled.json")?;
    emulator.apply_request(&drift, &key).await?;
    let audit = RecordingAudit::default();

    // when detect mode reports it
    let detect =
        emulator.guardrail_with_findings(config(EnforcementMode::Detect), &audit, &emulator.sdk);
    let record = detect.handle(&drift, invocation()).await?;

    // then one FAILED finding names the catalog and the violations
    assert_eq!(record.outcome, Outcome::DriftDetected);
    let findings = emulator.findings().await?;
    assert_eq!(findings.len(), 1);
    let failed = &findings[0];
    assert_eq!(status(failed), Some(&ComplianceStatus::Failed));
    assert_eq!(
        failed.resources().first().and_then(|r| r.id()),
        Some("arn:aws:glue:us-east-1:123456789012:catalog")
    );
    assert_eq!(
        failed
            .product_fields()
            .and_then(|f| f.get("glue-encryption-guardrail/violations"))
            .map(String::as_str),
        Some("metadata_encryption_disabled, password_encryption_disabled")
    );
    let created = failed.created_at().map(str::to_owned);

    // when remediate mode, in a new execution environment, fixes it and looks again twice
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let remediate =
        emulator.guardrail_with_findings(config(EnforcementMode::Remediate), &audit, &emulator.sdk);
    let fixed = remediate.handle(&drift, invocation()).await?;
    remediate
        .handle(&event("scheduled-reconcile.json")?, invocation())
        .await?;
    remediate
        .handle(&event("scheduled-reconcile.json")?, invocation())
        .await?;

    // then it is still one finding, now PASSED, with its first sighting unchanged
    assert_eq!(fixed.outcome, Outcome::Remediated);
    let findings = emulator.findings().await?;
    assert_eq!(
        findings.len(),
        1,
        "one finding per catalog, updated in place"
    );
    let passed = &findings[0];
    assert_eq!(passed.id(), failed.id());
    assert_eq!(status(passed), Some(&ComplianceStatus::Passed));
    assert_eq!(passed.created_at().map(str::to_owned), created);
    assert_eq!(passed.first_observed_at(), failed.first_observed_at());
    assert!(passed.updated_at() > failed.updated_at());
    let provider_severity = |f: &AwsSecurityFinding| {
        f.finding_provider_fields()
            .and_then(|p| p.severity())
            .and_then(|s| s.label())
            .cloned()
    };
    assert_eq!(provider_severity(failed), Some(SeverityLabel::High));
    assert_eq!(
        provider_severity(passed),
        Some(SeverityLabel::Informational)
    );
    eprintln!("after the drift: {failed:#?}\nafter the fix: {passed:#?}");
    Ok(())
}

#[tokio::test]
async fn with_the_switch_off_nothing_is_published() -> Result<(), Error> {
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    let drift = event("put-encryption-disabled.json")?;
    emulator.apply_request(&drift, &key).await?;
    let audit = RecordingAudit::default();

    let record = emulator
        .guardrail(EnforcementMode::Remediate, &audit)
        .handle(&drift, invocation())
        .await?;

    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(record.security_hub, None);
    assert!(emulator.findings().await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn security_hub_out_of_reach_leaves_the_remediation_intact() -> Result<(), Error> {
    // given Security Hub's endpoint refusing every connection
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    let drift = event("put-encryption-disabled.json")?;
    emulator.apply_request(&drift, &key).await?;
    // A port bound and never listened on refuses connections, and stays ours meanwhile.
    let held = tokio::net::TcpSocket::new_v4()?;
    held.bind("127.0.0.1:0".parse()?)?;
    let closed = held.local_addr()?.port();
    let unreachable = emulator
        .sdk
        .to_builder()
        .endpoint_url(format!("http://127.0.0.1:{closed}"))
        .build();
    let audit = RecordingAudit::default();

    // when the drift is fixed
    let record = emulator
        .guardrail_with_findings(config(EnforcementMode::Remediate), &audit, &unreachable)
        .handle(&drift, invocation())
        .await?;

    // then the fix stands and the failed publish is in the record
    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(emulator.catalog_settings().await?, compliant(&key));
    let publication = record.security_hub.ok_or("no publication in the record")?;
    assert_eq!(publication.status, PublicationStatus::Failed);
    assert!(
        publication
            .error
            .as_deref()
            .is_some_and(|e| e.contains("securityhub:GetFindings")),
        "{publication:?}"
    );
    Ok(())
}
