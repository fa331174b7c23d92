//! Notifications and exemptions on the emulator: SNS messages read back through an SQS
//! subscription, exemptions kept in a real SSM parameter.

use glue_encryption_guardrail::adapters::{
    glue::GlueCatalog, kms::KmsKeys, sns::SnsNotifier, ssm::SsmParameters,
};
use glue_encryption_guardrail::audit::{Notification, Outcome};
use glue_encryption_guardrail::config::{Config, EnforcementMode};
use glue_encryption_guardrail::handler::Guardrail;
use glue_encryption_guardrail::keys::SystemClock;
use guardrail_system_tests::*;
use serde_json::Value;

const EXEMPTION: &str = "/glue-encryption-guardrail/exemption";

/// A topic with a queue subscribed to it; returns (topic ARN, queue URL).
async fn topic_with_queue(emulator: &Emulator) -> Result<(String, String), Error> {
    let sns = aws_sdk_sns::Client::new(&emulator.sdk);
    let sqs = aws_sdk_sqs::Client::new(&emulator.sdk);
    let topic = sns
        .create_topic()
        .name("guardrail-notifications")
        .send()
        .await?;
    let topic = topic.topic_arn().ok_or("no topic ARN")?.to_owned();
    let queue = sqs
        .create_queue()
        .queue_name("guardrail-inbox")
        .send()
        .await?;
    let queue_url = queue.queue_url().ok_or("no queue URL")?.to_owned();
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await?;
    let queue_arn = attributes
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .ok_or("no queue ARN")?
        .to_owned();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await?;
    Ok((topic, queue_url))
}

/// Every notification that reached the queue, as (subject, message).
async fn received(emulator: &Emulator, queue_url: &str) -> Result<Vec<(String, String)>, Error> {
    let sqs = aws_sdk_sqs::Client::new(&emulator.sdk);
    let out = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .send()
        .await?;
    let mut notes = Vec::new();
    for message in out.messages() {
        let envelope: Value = serde_json::from_str(message.body().unwrap_or_default())?;
        notes.push((
            envelope["Subject"].as_str().unwrap_or_default().to_owned(),
            envelope["Message"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    Ok(notes)
}

fn guardrail<'a>(
    emulator: &Emulator,
    audit: &'a RecordingAudit,
    mode: EnforcementMode,
) -> Guardrail<GlueCatalog, SsmParameters, KmsKeys, &'a RecordingAudit, SystemClock> {
    let config = Config {
        enforcement_mode: mode,
        guardrail_role_arn: Some(GUARDRAIL_ROLE.into()),
        exemption_parameter: Some(EXEMPTION.into()),
        ..Config::new(PARAMETER)
    };
    Guardrail::new(
        config,
        REGION.into(),
        GlueCatalog::new(emulator.glue()),
        SsmParameters::new(emulator.ssm()),
        KmsKeys::new(emulator.kms()),
        SystemClock,
        audit,
    )
}

#[tokio::test]
async fn a_remediation_reaches_the_topic_with_who_what_and_before_after() -> Result<(), Error> {
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    let (topic, queue_url) = topic_with_queue(&emulator).await?;
    let drift = event("put-encryption-disabled.json")?;
    emulator.apply_request(&drift, &key).await?;

    let audit = RecordingAudit::default();
    let sns = aws_sdk_sns::Client::new(&emulator.sdk);
    let g = guardrail(&emulator, &audit, EnforcementMode::Remediate)
        .with_notifier(SnsNotifier::new(sns, topic));
    let record = g.handle(&drift, invocation()).await?;
    // The echo of our own write is a skip, and skips are not notified.
    g.handle(&event("put-by-guardrail-itself.json")?, invocation())
        .await?;

    assert_eq!(
        (record.outcome, record.notification),
        (Outcome::Remediated, Notification::Sent)
    );
    let notes = received(&emulator, &queue_url).await?;
    assert_eq!(notes.len(), 1, "{notes:?}");
    let (subject, message) = &notes[0];
    assert_eq!(
        subject,
        "Glue Data Catalog 123456789012 (us-east-1): encryption drift fixed"
    );
    for expected in [
        "arn:aws:sts::123456789012:assumed-role/DataEngineer/alice",
        "a1b2c3d4-0001-4e5f-8a9b-0c1d2e3f4a5b",
        "\"catalog_encryption_mode\": \"DISABLED\"",
        key.as_str(),
    ] {
        assert!(
            message.contains(expected),
            "{expected} missing from:\n{message}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_topic_that_cannot_be_reached_does_not_stop_the_remediation() -> Result<(), Error> {
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    let drift = event("put-encryption-disabled.json")?;
    emulator.apply_request(&drift, &key).await?;

    let audit = RecordingAudit::default();
    let sns = aws_sdk_sns::Client::new(&emulator.sdk);
    let missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic".to_owned();
    let g = guardrail(&emulator, &audit, EnforcementMode::Remediate)
        .with_notifier(SnsNotifier::new(sns, missing));
    let record = g.handle(&drift, invocation()).await?;

    assert_eq!(
        (record.outcome, record.notification),
        (Outcome::Remediated, Notification::Failed)
    );
    assert_eq!(emulator.catalog_settings().await?, compliant(&key));
    Ok(())
}

#[tokio::test]
async fn an_exemption_holds_until_it_expires() -> Result<(), Error> {
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    let drift = event("put-other-customer-key.json")?;
    let drifted = emulator.apply_request(&drift, &key).await?;
    let exempt = |expires: &str| {
        format!(
            r#"{{"expires":"{expires}","reason":"catalog managed by the data platform's Terraform"}}"#
        )
    };

    // in force: reported, not written
    emulator
        .put_parameter(EXEMPTION, &exempt("2099-01-01T00:00:00Z"))
        .await?;
    let audit = RecordingAudit::default();
    let record = guardrail(&emulator, &audit, EnforcementMode::Remediate)
        .handle(&drift, invocation())
        .await?;
    assert_eq!(record.outcome, Outcome::Exempt);
    assert_eq!(record.violations.len(), 2);
    assert_eq!(emulator.catalog_settings().await?, drifted);

    // expired: applies no more, without anyone deleting it
    emulator
        .put_parameter(EXEMPTION, &exempt("2020-01-01T00:00:00Z"))
        .await?;
    let record = guardrail(&emulator, &audit, EnforcementMode::Remediate)
        .handle(&drift, invocation())
        .await?;
    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(emulator.catalog_settings().await?, compliant(&key));
    Ok(())
}
