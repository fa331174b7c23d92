//! The guardrail against moto's server over HTTP, through the real SDK clients: seed real state,
//! run the guardrail, check the catalog afterwards.

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use glue_encryption_guardrail::app::config::Config;
use glue_encryption_guardrail::app::config::EnforcementMode::{Detect, Remediate};
use glue_encryption_guardrail::core::record::{Outcome, WriteStatus};
use glue_encryption_guardrail::core::settings::CatalogEncryptionMode;
use guardrail_system_tests::*;

/// The sample events whose request drifts the catalog, and the violations each leaves.
const DRIFTS: [(&str, &[&str]); 4] = [
    (
        "put-encryption-disabled.json",
        &[
            "metadata_encryption_disabled",
            "password_encryption_disabled",
        ],
    ),
    (
        "put-password-encryption-off.json",
        &["password_encryption_disabled"],
    ),
    (
        "put-other-customer-key.json",
        &["metadata_key_not_expected", "password_key_not_expected"],
    ),
    ("put-sse-kms-without-key.json", &["metadata_key_missing"]),
];

fn codes(record: &glue_encryption_guardrail::core::record::AuditRecord) -> Vec<&'static str> {
    record.violations.iter().map(|v| v.code()).collect()
}

#[tokio::test]
async fn each_kind_of_drift_is_fixed_on_the_emulator() -> Result<(), Error> {
    for (file, violations) in DRIFTS {
        // given a catalog changed as the event says
        let emulator = Emulator::start().await?;
        let key = emulator.seed_key_and_parameter().await?;
        let event = event(file)?;
        let drifted = emulator.apply_request(&event, &key).await?;
        assert_ne!(drifted, compliant(&key), "{file}");

        // when the guardrail handles the event
        let audit = RecordingAudit::default();
        let record = emulator
            .guardrail(Remediate, &audit)
            .handle(&event, invocation())
            .await?;

        // then the catalog holds both settings with the key ARN
        assert_eq!(record.outcome, Outcome::Remediated, "{file}");
        assert_eq!(codes(&record), violations, "{file}");
        assert_eq!(
            emulator.catalog_settings().await?,
            compliant(&key),
            "{file}"
        );
        assert_eq!(record.before, Some(drifted));
        assert_eq!(audit.records().len(), 1);
    }
    Ok(())
}

#[tokio::test]
async fn a_compliant_catalog_is_left_alone() -> Result<(), Error> {
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    let event = event("put-compliant.json")?;
    emulator.apply_request(&event, &key).await?;

    let audit = RecordingAudit::default();
    let record = emulator
        .guardrail(Remediate, &audit)
        .handle(&event, invocation())
        .await?;

    assert_eq!(record.outcome, Outcome::Compliant);
    assert_eq!(record.write, WriteStatus::NotAttempted);
    assert_eq!(emulator.catalog_settings().await?, compliant(&key));
    Ok(())
}

#[tokio::test]
async fn detect_mode_changes_nothing() -> Result<(), Error> {
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    let event = event("put-other-customer-key.json")?;
    let drifted = emulator.apply_request(&event, &key).await?;

    let audit = RecordingAudit::default();
    let record = emulator
        .guardrail(Detect, &audit)
        .handle(&event, invocation())
        .await?;

    assert_eq!(record.outcome, Outcome::DriftDetected);
    assert_eq!(
        codes(&record),
        ["metadata_key_not_expected", "password_key_not_expected"]
    );
    assert_eq!(emulator.catalog_settings().await?, drifted);
    Ok(())
}

#[tokio::test]
async fn the_scheduled_tick_reconciles_a_catalog_nobody_reported() -> Result<(), Error> {
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    // A catalog never configured reads as unencrypted.
    let audit = RecordingAudit::default();
    let record = emulator
        .guardrail(Remediate, &audit)
        .handle(&event("scheduled-reconcile.json")?, invocation())
        .await?;

    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(
        record.trigger.event_name.as_deref(),
        Some("Scheduled Event")
    );
    assert_eq!(emulator.catalog_settings().await?, compliant(&key));
    Ok(())
}

#[tokio::test]
async fn skipped_events_leave_even_a_drifted_catalog_to_the_next_real_trigger() -> Result<(), Error>
{
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    let drifted = emulator
        .apply_request(&event("put-encryption-disabled.json")?, &key)
        .await?;

    let audit = RecordingAudit::default();
    let guardrail = emulator.guardrail(Remediate, &audit);
    for (file, code) in [
        ("put-failed-access-denied.json", "failed_call"),
        ("put-by-guardrail-itself.json", "own_write"),
        ("unrelated-glue-create-database.json", "other_api"),
    ] {
        let record = guardrail.handle(&event(file)?, invocation()).await?;
        assert_eq!(
            (record.outcome, record.reason_code),
            (Outcome::Skipped, code),
            "{file}"
        );
    }
    assert_eq!(emulator.catalog_settings().await?, drifted);
    Ok(())
}

#[tokio::test]
async fn a_parameter_naming_an_alias_is_written_as_the_key_arn() -> Result<(), Error> {
    let emulator = Emulator::start().await?;
    let key = emulator.create_glue_key().await?;
    emulator.create_alias("alias/glue-catalog", &key).await?;
    emulator
        .put_parameter(PARAMETER, "alias/glue-catalog")
        .await?;
    let event = event("put-encryption-disabled.json")?;
    emulator.apply_request(&event, &key).await?;

    let audit = RecordingAudit::default();
    let record = emulator
        .guardrail(Remediate, &audit)
        .handle(&event, invocation())
        .await?;

    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(record.expected_key_arn.as_deref(), Some(key.as_str()));
    assert_eq!(emulator.catalog_settings().await?, compliant(&key));
    Ok(())
}

#[tokio::test]
async fn a_catalog_naming_our_key_by_alias_is_pinned_back_to_its_arn() -> Result<(), Error> {
    // given a catalog that names our key through an alias, which can be re-pointed at any time
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    emulator.create_alias("alias/glue-catalog", &key).await?;
    let mut settings = compliant(&key);
    settings.encryption_at_rest.sse_aws_kms_key_id = Some("alias/glue-catalog".into());
    emulator.set_catalog(&settings).await?;

    // when the scheduled tick looks
    let audit = RecordingAudit::default();
    let record = emulator
        .guardrail(Remediate, &audit)
        .handle(&event("scheduled-reconcile.json")?, invocation())
        .await?;

    // then it is drift, fixed with the key ARN
    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(codes(&record), ["metadata_key_not_pinned"]);
    assert_eq!(emulator.catalog_settings().await?, compliant(&key));
    Ok(())
}

#[tokio::test]
async fn the_service_role_mode_is_written_only_as_configured() -> Result<(), Error> {
    let role = "arn:aws:iam::123456789012:role/GlueCatalogEncryption";
    let other = "arn:aws:iam::123456789012:role/SomeoneElse";
    let in_role_mode = |key: &str, role: &str| {
        let mut settings = compliant(key);
        settings.encryption_at_rest.catalog_encryption_mode =
            CatalogEncryptionMode::SseKmsWithServiceRole;
        settings.encryption_at_rest.catalog_encryption_service_role = Some(role.into());
        settings
    };

    // not configured: a catalog switched to service-role mode goes back to SSE-KMS, no role
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    emulator.set_catalog(&in_role_mode(&key, other)).await?;
    let audit = RecordingAudit::default();
    let record = emulator
        .guardrail(Remediate, &audit)
        .handle(&event("scheduled-reconcile.json")?, invocation())
        .await?;
    assert_eq!(codes(&record), ["metadata_service_role_not_expected"]);
    assert_eq!(emulator.catalog_settings().await?, compliant(&key));

    // configured: the catalog must name exactly that role, and is written with it
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    emulator.set_catalog(&in_role_mode(&key, other)).await?;
    let config = Config {
        catalog_service_role_arn: Some(role.into()),
        ..deployed_config()
    };
    let guardrail = emulator.guardrail_with(config, &audit);
    let record = guardrail
        .handle(&event("scheduled-reconcile.json")?, invocation())
        .await?;
    assert_eq!(codes(&record), ["metadata_service_role_not_expected"]);
    assert_eq!(emulator.catalog_settings().await?, in_role_mode(&key, role));
    let again = guardrail
        .handle(&event("scheduled-reconcile.json")?, invocation())
        .await?;
    assert_eq!(again.outcome, Outcome::Compliant);
    Ok(())
}

#[tokio::test]
async fn another_session_of_the_guardrails_role_is_caught() -> Result<(), Error> {
    // given a catalog switched off by someone who can act as the guardrail's role, but is not
    // the function itself
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    emulator
        .apply_request(&event("put-encryption-disabled.json")?, &key)
        .await?;
    let mut impostor = event("put-by-guardrail-itself.json")?;
    impostor["detail"]["userIdentity"]["arn"] =
        "arn:aws:sts::123456789012:assumed-role/glue-encryption-guardrail-GuardrailRole-1A2B3C4D5E6F/mallory"
            .into();

    // when its event comes in, then it is fixed; the function's own echo is still a skip
    let audit = RecordingAudit::default();
    let guardrail = emulator.guardrail(Remediate, &audit);
    let record = guardrail.handle(&impostor, invocation()).await?;
    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(emulator.catalog_settings().await?, compliant(&key));
    let echo = guardrail
        .handle(&event("put-by-guardrail-itself.json")?, invocation())
        .await?;
    assert_eq!(echo.reason_code, "own_write");
    Ok(())
}

#[tokio::test]
async fn a_key_disabled_after_it_was_cached_is_never_written() -> Result<(), Error> {
    // given a guardrail whose cache holds the key as usable
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    emulator.set_catalog(&compliant(&key)).await?;
    let audit = RecordingAudit::default();
    let guardrail = emulator.guardrail(Remediate, &audit);
    let first = guardrail
        .handle(&event("scheduled-reconcile.json")?, invocation())
        .await?;
    assert_eq!(first.outcome, Outcome::Compliant);

    // when the key is disabled, and then the catalog drifts
    emulator
        .kms()
        .disable_key()
        .key_id(key_id(&key))
        .send()
        .await?;
    let drift = event("put-encryption-disabled.json")?;
    let drifted = emulator.apply_request(&drift, &key).await?;
    let result = guardrail.handle(&drift, invocation()).await;

    // then the fresh check before the write refuses it, and nothing is written
    let err = result.err().ok_or("the invocation succeeded")?;
    assert_eq!(err.code(), "key_not_enabled");
    assert_eq!(emulator.catalog_settings().await?, drifted);
    let records = audit.records();
    assert_eq!(
        records.last().map(|r| r.write),
        Some(WriteStatus::NotAttempted)
    );
    Ok(())
}

fn key_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or_default()
}

/// How the parameter goes wrong in a failure scenario.
enum Spoil {
    NoParameter,
    NotAKey,
    NoSuchKey,
    Disabled,
    PendingDeletion,
    Asymmetric,
    SignVerify,
    OtherRegion,
}

#[tokio::test]
async fn an_unusable_key_or_parameter_fails_with_nothing_written() -> Result<(), Error> {
    let cases = [
        (Spoil::NoParameter, "parameter_not_found"),
        (Spoil::NotAKey, "parameter_not_key_reference"),
        (Spoil::NoSuchKey, "key_not_found"),
        (Spoil::Disabled, "key_not_enabled"),
        (Spoil::PendingDeletion, "key_not_enabled"),
        (Spoil::Asymmetric, "key_not_symmetric"),
        (Spoil::SignVerify, "key_not_symmetric"),
        (Spoil::OtherRegion, "key_in_other_region"),
    ];
    for (spoil, code) in cases {
        // given a drifted catalog and a parameter that cannot give a usable key
        let emulator = Emulator::start().await?;
        let event = event("put-encryption-disabled.json")?;
        let drifted = emulator.apply_request(&event, SAMPLE_KEY).await?;
        let kms = emulator.kms();
        match spoil {
            Spoil::NoParameter => {}
            Spoil::NotAKey => emulator.put_parameter(PARAMETER, "the glue key").await?,
            Spoil::NoSuchKey => emulator
                .put_parameter(
                    PARAMETER,
                    "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
                )
                .await?,
            // moto finds the key for DisableKey and ScheduleKeyDeletion by id only, not by ARN.
            Spoil::Disabled => {
                let key = emulator.seed_key_and_parameter().await?;
                kms.disable_key().key_id(key_id(&key)).send().await?;
            }
            Spoil::PendingDeletion => {
                let key = emulator.seed_key_and_parameter().await?;
                kms.schedule_key_deletion()
                    .key_id(key_id(&key))
                    .pending_window_in_days(7)
                    .send()
                    .await?;
            }
            Spoil::Asymmetric => {
                let key = emulator
                    .create_key(KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt)
                    .await?;
                emulator.put_parameter(PARAMETER, &key).await?;
            }
            Spoil::SignVerify => {
                let key = emulator
                    .create_key(KeySpec::EccNistP256, KeyUsageType::SignVerify)
                    .await?;
                emulator.put_parameter(PARAMETER, &key).await?;
            }
            Spoil::OtherRegion => {
                let eu = aws_sdk_kms::Client::from_conf(
                    aws_sdk_kms::config::Builder::from(&emulator.sdk)
                        .region(aws_config::Region::new("eu-west-1"))
                        .build(),
                );
                let out = eu
                    .create_key()
                    .key_usage(KeyUsageType::EncryptDecrypt)
                    .send()
                    .await?;
                let key = out
                    .key_metadata()
                    .and_then(|k| k.arn())
                    .unwrap_or_default()
                    .to_owned();
                emulator.put_parameter(PARAMETER, &key).await?;
            }
        }

        // when the guardrail handles the drift
        let audit = RecordingAudit::default();
        let result = emulator
            .guardrail(Remediate, &audit)
            .handle(&event, invocation())
            .await;

        // then it fails naming the cause, writes nothing and records the failure
        let err = result
            .err()
            .ok_or_else(|| format!("{code}: the invocation succeeded"))?;
        assert_eq!(err.code(), code);
        assert!(err.to_string().contains(PARAMETER), "{code}: {err}");
        assert_eq!(emulator.catalog_settings().await?, drifted, "{code}");
        let records = audit.records();
        assert_eq!(records.len(), 1);
        assert_eq!(
            (records[0].outcome, records[0].reason_code),
            (Outcome::Failed, code)
        );
    }
    Ok(())
}

#[tokio::test]
async fn the_guardrails_own_write_comes_back_as_a_skip() -> Result<(), Error> {
    // given a drift the guardrail fixes
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    let drift = event("put-encryption-disabled.json")?;
    emulator.apply_request(&drift, &key).await?;
    let audit = RecordingAudit::default();
    let guardrail = emulator.guardrail(Remediate, &audit);
    guardrail.handle(&drift, invocation()).await?;

    // when its own write comes back, and someone drifts the catalog in between
    let drifted = emulator.apply_request(&drift, &key).await?;
    let record = guardrail
        .handle(&event("put-by-guardrail-itself.json")?, invocation())
        .await?;

    // then the echo is skipped without a look, and the next real trigger fixes the catalog
    assert_eq!(record.reason_code, "own_write");
    assert_eq!(emulator.catalog_settings().await?, drifted);
    let record = guardrail
        .handle(&event("scheduled-reconcile.json")?, invocation())
        .await?;
    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(emulator.catalog_settings().await?, compliant(&key));
    Ok(())
}
