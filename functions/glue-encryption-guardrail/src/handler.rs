//! Entrypoint layer: the handler. Trigger → load → evaluate → remediate → verify → one audit
//! record, whatever happens on the way.

use crate::audit::{AuditRecord, AuditSink, Notification, Outcome, notification_text};
use crate::config::{Config, EnforcementMode};
use crate::core::event::AsTrigger;
use crate::core::exemption::Exemption;
use crate::core::policy::remediation;
use crate::core::trigger::{Decision, Whoami, classify};
use crate::error::{GuardrailError, codes};
use crate::inspect::{self, Inspection};
use crate::keys::{Clock, KeyResolver};
use crate::ports::{CatalogStore, KeyDirectory, Notifier, ParameterStore};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What the runtime says about one invocation.
#[derive(Debug, Clone, Copy)]
pub struct Invocation<'a> {
    pub request_id: &'a str,
    /// The account the function runs in, from its invoked ARN, when known.
    pub account: Option<&'a str>,
    /// The time left until Lambda's deadline, when known. The work stops [`DEADLINE_MARGIN`]
    /// before it, so that the invocation still ends in its audit record (and notification)
    /// rather than being cut off by the timeout.
    pub time_left: Option<Duration>,
}

/// Time kept back from the deadline to record and notify a failure: the SNS call's own budget
/// and then some.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(5);

/// The guardrail, built once at cold start and lent to every invocation.
pub struct Guardrail<G, P, K, A, C> {
    config: Config,
    region: String,
    catalog: G,
    keys: KeyResolver<P, K, C>,
    audit: A,
    notifier: Option<Box<dyn Notifier>>,
    cold: AtomicBool,
}

impl<G, P, K, A, C> Guardrail<G, P, K, A, C>
where
    G: CatalogStore + Sync,
    P: ParameterStore + Sync,
    K: KeyDirectory + Sync,
    A: AuditSink,
    C: Clock,
{
    pub fn new(
        config: Config,
        region: String,
        catalog: G,
        parameters: P,
        keys: K,
        clock: C,
        audit: A,
    ) -> Self {
        let keys = KeyResolver::new(
            parameters,
            keys,
            config.kms_key_parameter.clone(),
            region.clone(),
            config.key_cache_ttl,
            clock,
        );
        Self {
            config,
            region,
            catalog,
            keys,
            audit,
            notifier: None,
            cold: AtomicBool::new(true),
        }
    }

    /// Tells `notifier` of every remediation, detected drift and failure.
    pub fn with_notifier(mut self, notifier: impl Notifier + 'static) -> Self {
        self.notifier = Some(Box::new(notifier));
        self
    }

    /// Handles one event and writes its one audit record. Returns the record, or the error
    /// that failed the invocation (after recording it), so Lambda retries and the failure
    /// reaches the on-failure destination.
    pub async fn handle(
        &self,
        event: &(impl AsTrigger + ?Sized),
        invocation: Invocation<'_>,
    ) -> Result<AuditRecord, GuardrailError> {
        // The role ARN is set by the deployment and names the account the function runs in; the
        // invoked ARN says the same in AWS and may not locally.
        let account = self.config.account_from_role().or(invocation.account);
        let classified = classify(
            event,
            Whoami {
                role_arn: self.config.guardrail_role_arn.as_deref(),
                account,
                region: &self.region,
            },
        );
        let mut record = AuditRecord {
            record_type: "audit",
            outcome: Outcome::Skipped,
            reason: String::new(),
            reason_code: "",
            catalog_id: account
                .map(str::to_owned)
                .or_else(|| classified.summary.account.clone()),
            region: self.region.clone(),
            enforcement_mode: self.config.enforcement_mode,
            violations: Vec::new(),
            expected_key_arn: None,
            before: None,
            after: None,
            settings_written: false,
            exemption: None,
            notification: Notification::None,
            cold_start: self.cold.swap(false, Ordering::Relaxed),
            trigger: classified.summary,
            error: None,
            request_id: invocation.request_id.to_owned(),
        };

        let result = match classified.decision {
            Decision::Skip(reason) => {
                record.reason = reason.to_string();
                record.reason_code = reason.code();
                Ok(())
            }
            // A deadline no further off than the margin itself is no real budget (a local
            // runtime may send one): then only Lambda's own timeout applies.
            Decision::Evaluate => match invocation.time_left {
                Some(left) if left > DEADLINE_MARGIN => {
                    let budget = left - DEADLINE_MARGIN;
                    tokio::time::timeout(budget, self.evaluate(&mut record))
                        .await
                        .unwrap_or(Err(GuardrailError::OutOfTime { budget }))
                }
                _ => self.evaluate(&mut record).await,
            },
        };

        if let Err(e) = &result {
            record.outcome = Outcome::Failed;
            record.reason = e.to_string();
            record.reason_code = e.code();
            record.error = Some(e.into());
        }
        self.notify(&mut record).await;
        self.audit.record(&record);
        result.map(|()| record)
    }

    /// Publishes the outcome when people should hear of it. A failure to publish is recorded
    /// and counted, never allowed to change the outcome.
    async fn notify(&self, record: &mut AuditRecord) {
        let Some(notifier) = &self.notifier else {
            return;
        };
        if !matches!(
            record.outcome,
            Outcome::Remediated | Outcome::DriftDetected | Outcome::Failed
        ) {
            return;
        }
        let (subject, message) = notification_text(record);
        record.notification = match notifier.publish(&subject, &message).await {
            Ok(()) => Notification::Sent,
            Err(e) => {
                tracing::warn!(error = %e, "could not publish the notification");
                Notification::Failed
            }
        };
    }

    async fn evaluate(&self, record: &mut AuditRecord) -> Result<(), GuardrailError> {
        // Settings first, then the expected key, then any alias the settings name; whatever
        // was learned before a failure still goes into the record.
        let Inspection {
            settings: before,
            expected_key: expected,
            violations,
        } = inspect::inspect(&self.catalog, &self.keys)
            .await
            .map_err(|incomplete| {
                record.before = incomplete.settings;
                record.expected_key_arn = incomplete.expected_key.map(|key| key.arn);
                incomplete.error
            })?;
        record.before = Some(before.clone());
        record.expected_key_arn = Some(expected.arn.clone());
        record.violations.clone_from(&violations);
        if violations.is_empty() {
            record.outcome = Outcome::Compliant;
            record.reason_code = "compliant";
            record.reason =
                "metadata and connection passwords are encrypted with the expected key".into();
            record.after = Some(before);
            return Ok(());
        }
        if let Some(exemption) = self.exemption().await? {
            let active = exemption.is_active(self.keys.clock().unix_now());
            let (reason, expires) = (exemption.reason.clone(), exemption.expires.clone());
            record.exemption = Some(exemption);
            if active {
                record.outcome = Outcome::Exempt;
                record.reason_code = "exempt";
                record.reason = format!(
                    "drift found ({}); exempt until {expires} ({reason}), so nothing is written",
                    codes(&violations)
                );
                record.after = Some(before);
                return Ok(());
            }
        }
        if self.config.enforcement_mode == EnforcementMode::Detect {
            record.outcome = Outcome::DriftDetected;
            record.reason_code = "drift_detected";
            record.reason = format!(
                "drift found ({}); detect mode writes nothing",
                codes(&violations)
            );
            record.after = Some(before);
            return Ok(());
        }

        let desired = remediation(&before, &expected.arn);
        self.catalog.put_settings(&desired).await?;
        record.settings_written = true;
        let after = self.catalog.get_settings().await?;
        record.after = Some(after.clone());
        let remaining = inspect::violations(&after, &expected, &self.keys).await?;
        if !remaining.is_empty() {
            return Err(GuardrailError::VerificationFailed {
                violations: remaining,
            });
        }
        record.outcome = Outcome::Remediated;
        record.reason_code = "remediated";
        record.reason = format!(
            "drift found ({}); re-applied both settings with the expected key's ARN and verified them",
            codes(&violations)
        );
        Ok(())
    }

    /// The exemption configured for this account and region, if any (expired or not).
    async fn exemption(&self) -> Result<Option<Exemption>, GuardrailError> {
        let Some(name) = &self.config.exemption_parameter else {
            return Ok(None);
        };
        let Some(text) = self.keys.exemption(name).await? else {
            return Ok(None);
        };
        Exemption::parse(&text)
            .map(Some)
            .map_err(|problem| GuardrailError::ExemptionMalformed {
                name: name.clone(),
                problem,
            })
    }
}
