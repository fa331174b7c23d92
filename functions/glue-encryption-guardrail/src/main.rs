//! Wiring only: tracing, configuration, SDK clients, and the Lambda runtime loop.

use aws_config::BehaviorVersion;
use glue_encryption_guardrail::adapters::clock::SystemClock;
use glue_encryption_guardrail::adapters::stdout::StdoutAudit;
use glue_encryption_guardrail::adapters::{
    self, glue::GlueCatalog, kms::KmsKeys, securityhub::SecurityHubFindings, sns::SnsNotifier,
    ssm::SsmParameters,
};
use glue_encryption_guardrail::app::config::Config;
use glue_encryption_guardrail::app::guardrail::{Guardrail, Invocation};
use glue_encryption_guardrail::core::arn;
use glue_encryption_guardrail::core::event::TriggerEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // JSON or text, and the level, as the function's LoggingConfig asks.
    lambda_runtime::tracing::init_default_subscriber();

    let config =
        Config::from_env().inspect_err(|e| tracing::error!(error = %e, "invalid configuration"))?;
    let sdk = adapters::configure(aws_config::defaults(BehaviorVersion::latest()))
        .load()
        .await;
    let region = sdk
        .region()
        .map(ToString::to_string)
        .ok_or("AWS_REGION is not set; the guardrail must know which region's catalog it guards")?;

    let topic = config.notification_topic_arn.clone();
    let findings = config.security_hub_findings;
    let mut guardrail = Guardrail::new(
        config,
        region,
        GlueCatalog::new(aws_sdk_glue::Client::new(&sdk)),
        SsmParameters::new(aws_sdk_ssm::Client::new(&sdk)),
        KmsKeys::new(aws_sdk_kms::Client::new(&sdk)),
        SystemClock,
        StdoutAudit,
    );
    if let Some(topic) = topic {
        guardrail =
            guardrail.with_notifier(SnsNotifier::new(aws_sdk_sns::Client::new(&sdk), topic));
    }
    if findings {
        guardrail = guardrail.with_findings(SecurityHubFindings::new(
            aws_sdk_securityhub::Client::new(&sdk),
        ));
    }
    let guardrail = &guardrail;

    // The runtime parses each payload straight into the fields the guardrail reads.
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<TriggerEvent>| async move {
            let invocation = Invocation {
                request_id: &event.context.request_id,
                account: arn::account(&event.context.invoked_function_arn),
                time_left: time_left(event.context.deadline),
            };
            guardrail.invoke(&event.payload, invocation).await
        },
    ))
    .await
}

/// The time left until `deadline` (milliseconds since the Unix epoch, as the runtime gives it).
fn time_left(deadline_ms: u64) -> Option<Duration> {
    // A runtime that sends no deadline (0) sets no budget.
    if deadline_ms == 0 {
        return None;
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    Some(Duration::from_millis(deadline_ms).saturating_sub(now))
}
