//! Notifications and exemptions on the emulator: SNS messages read back through an SQS
//! subscription, exemptions kept in a real SSM parameter.

use glue_encryption_guardrail::adapters::sns::SnsNotifier;
use glue_encryption_guardrail::app::config::{Config, EnforcementMode};
use glue_encryption_guardrail::core::exemption::ExemptionState;
use glue_encryption_guardrail::core::record::{Notification, Outcome};
use guardrail_system_tests::*;
use serde_json::Value;

/// The alarm topic's name as the template names it for the stack the scenarios play.
const TOPIC: &str = "glue-encryption-guardrail-guardrail-alarms";

/// An exemption document that expires `days` from now.
fn exemption_for(days: i64) -> Result<String, Error> {
    let expires =
        jiff::Timestamp::now().checked_add(jiff::SignedDuration::from_hours(24 * days))?;
    Ok(format!(
        r#"{{"expires":"{expires}","reason":"catalog managed by the data platform's Terraform"}}"#
    ))
}

/// A topic with a queue subscribed to it; returns (topic ARN, queue URL).
async fn topic_with_queue(emulator: &Emulator) -> Result<(String, String), Error> {
    let sns = aws_sdk_sns::Client::new(&emulator.sdk);
    let sqs = aws_sdk_sqs::Client::new(&emulator.sdk);
    let topic = sns.create_topic().name(TOPIC).send().await?;
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

fn config(mode: EnforcementMode) -> Config {
    Config {
        enforcement_mode: mode,
        ..deployed_config()
    }
}

#[tokio::test]
async fn a_remediation_reaches_the_topic_with_who_what_and_before_after() -> Result<(), Error> {
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    let (topic, queue_url) = topic_with_queue(&emulator).await?;
    let drift = event("put-encryption-disabled.json")?;
    emulator.apply_request(&drift, &key).await?;

    let audit = RecordingAudit::default();
    let config = config(EnforcementMode::Remediate);
    let sns = emulator.notifying_sns(&config);
    let g = emulator
        .guardrail_with(config, &audit)
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
    let g = emulator
        .guardrail_with(config(EnforcementMode::Remediate), &audit)
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
async fn an_exemption_holds_until_it_expires_and_is_notified() -> Result<(), Error> {
    let emulator = Emulator::start().await?;
    let key = emulator.seed_key_and_parameter().await?;
    let (topic, queue_url) = topic_with_queue(&emulator).await?;
    let drift = event("put-other-customer-key.json")?;
    let drifted = emulator.apply_request(&drift, &key).await?;
    let audit = RecordingAudit::default();
    let config = config(EnforcementMode::Remediate);
    let sns = emulator.notifying_sns(&config);
    let notifier = SnsNotifier::new(sns, topic);

    // in force: reported and notified, not written
    emulator
        .put_parameter(EXEMPTION, &exemption_for(30)?)
        .await?;
    let record = emulator
        .guardrail_with(config.clone(), &audit)
        .with_notifier(notifier.clone())
        .handle(&drift, invocation())
        .await?;
    assert_eq!(record.outcome, Outcome::Exempt);
    assert_eq!(record.violations.len(), 2);
    assert_eq!(record.notification, Notification::Sent);
    assert_eq!(emulator.catalog_settings().await?, drifted);
    let notes = received(&emulator, &queue_url).await?;
    assert_eq!(
        notes.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
        ["Glue Data Catalog 123456789012 (us-east-1): encryption drift on an exempt catalog"]
    );

    // expired: applies no more, without anyone deleting it
    emulator
        .put_parameter(EXEMPTION, &exemption_for(-1)?)
        .await?;
    let record = emulator
        .guardrail_with(config, &audit)
        .handle(&drift, invocation())
        .await?;
    assert_eq!(record.outcome, Outcome::Remediated);
    assert_eq!(emulator.catalog_settings().await?, compliant(&key));
    Ok(())
}

#[tokio::test]
async fn an_exemption_too_long_or_malformed_is_ignored_and_the_catalog_fixed() -> Result<(), Error>
{
    for (name, value, problem) in [
        ("91 days", exemption_for(91)?, "more than 90 days from now"),
        (
            "malformed",
            "until further notice".to_owned(),
            "JSON object",
        ),
    ] {
        // given a drifted catalog and an exemption the guardrail must not trust
        let emulator = Emulator::start().await?;
        let key = emulator.seed_key_and_parameter().await?;
        let drift = event("put-encryption-disabled.json")?;
        emulator.apply_request(&drift, &key).await?;
        emulator.put_parameter(EXEMPTION, &value).await?;

        // when the drift comes in
        let audit = RecordingAudit::default();
        let record = emulator
            .guardrail(EnforcementMode::Remediate, &audit)
            .handle(&drift, invocation())
            .await?;

        // then the catalog is fixed and the record says why the exemption did not hold
        assert_eq!(record.outcome, Outcome::Remediated, "{name}");
        assert_eq!(
            emulator.catalog_settings().await?,
            compliant(&key),
            "{name}"
        );
        let exemption = record.exemption.ok_or("no exemption in the record")?;
        assert_eq!(exemption.state, ExemptionState::Ignored, "{name}");
        let found = exemption.problem.unwrap_or_default();
        assert!(found.contains(problem), "{name}: {found}");
    }
    Ok(())
}
