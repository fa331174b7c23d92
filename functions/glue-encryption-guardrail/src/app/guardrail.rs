//! Application: the guardrail. Trigger → read → verdict → action → write → verify → one
//! audit record, whatever happens on the way. The decisions are the pure core's; this module
//! only does the I/O around them.

use crate::app::config::Config;
use crate::app::error::GuardrailError;
use crate::app::findings::FindingPublisher;
use crate::app::inspect::{self, Inspection};
use crate::app::lookups::Lookups;
use crate::core::action::{ActionKind, choose};
use crate::core::event::AsTrigger;
use crate::core::exemption::{Exemption, assess};
use crate::core::finding::{Compliance, Scope, Verdict};
use crate::core::policy::{Policy, evaluate, remediation};
use crate::core::record::{
    AuditRecord, FindingPublication, Notification, Outcome, PublicationStatus, WriteStatus,
    notification_text,
};
use crate::core::trigger::{Decision, Whoami, classify};
use crate::ports::{
    AuditSink, CatalogReader, CatalogWriter, Clock, FindingsHub, KeyDirectory, Notifier,
    ParameterStore,
};
use crate::ports::{AwsError, AwsErrorKind};
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
    /// The function's own session ([`Config::own_session_arn`]), worked out once.
    own_session_arn: Option<String>,
    catalog: G,
    lookups: Lookups<P, K, C>,
    audit: A,
    notifier: Option<Box<dyn Notifier>>,
    findings: Option<FindingPublisher>,
    cold: AtomicBool,
}

impl<G, P, K, A, C> Guardrail<G, P, K, A, C>
where
    G: CatalogReader + CatalogWriter + Sync,
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
        let lookups = Lookups::new(
            parameters,
            keys,
            config.kms_key_parameter.clone(),
            region.clone(),
            config.key_cache_ttl,
            clock,
        );
        Self {
            own_session_arn: config.own_session_arn(),
            config,
            region,
            catalog,
            lookups,
            audit,
            notifier: None,
            findings: None,
            cold: AtomicBool::new(true),
        }
    }

    /// Publishes every verdict to `hub` as the catalog's one Security Hub finding.
    pub fn with_findings(mut self, hub: impl FindingsHub + 'static) -> Self {
        self.findings = Some(FindingPublisher::new(hub));
        self
    }

    /// Tells `notifier` of every remediation, detected drift, exempt drift and failure.
    pub fn with_notifier(mut self, notifier: impl Notifier + 'static) -> Self {
        self.notifier = Some(Box::new(notifier));
        self
    }

    /// Handles one event and writes its one audit record. Returns the record, or the error
    /// that failed the invocation (after recording it).
    pub async fn handle(
        &self,
        event: &(impl AsTrigger + ?Sized),
        invocation: Invocation<'_>,
    ) -> Result<AuditRecord, GuardrailError> {
        let (record, result) = self.run(event, invocation).await;
        result.map(|()| record)
    }

    /// Handles one event as Lambda's asynchronous invocation should end: a failure that a
    /// retry can fix (throttling, a timeout, a concurrent writer) is returned as an error, so
    /// that Lambda retries it and, after its retries, sends it to the on-failure destination;
    /// a failure no retry can fix (a missing parameter, an unusable key, a denied call) ends
    /// in its record, which has already been written, counted in the `Failures` metric and
    /// notified, and is not retried: three attempts would only notify it three times.
    pub async fn invoke(
        &self,
        event: &(impl AsTrigger + ?Sized),
        invocation: Invocation<'_>,
    ) -> Result<AuditRecord, GuardrailError> {
        let (record, result) = self.run(event, invocation).await;
        match result {
            Err(e) if e.is_transient() => Err(e),
            _ => Ok(record),
        }
    }

    async fn run(
        &self,
        event: &(impl AsTrigger + ?Sized),
        invocation: Invocation<'_>,
    ) -> (AuditRecord, Result<(), GuardrailError>) {
        // The role ARN is set by the deployment and names the account the function runs in; the
        // invoked ARN says the same in AWS and may not locally.
        let account = self.config.account_from_role().or(invocation.account);
        let classified = classify(
            event,
            Whoami {
                own_session_arn: self.own_session_arn.as_deref(),
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
            write: WriteStatus::NotAttempted,
            exemption: None,
            notification: Notification::None,
            security_hub: None,
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
            Decision::Evaluate => {
                // Boxed: the evaluation nests every SDK call's future, and the compiler lays
                // out nested futures only so deep.
                let evaluation = Box::pin(self.inspect_and_act(&mut record));
                match invocation.time_left {
                    Some(left) if left > DEADLINE_MARGIN => {
                        let budget = left - DEADLINE_MARGIN;
                        tokio::time::timeout(budget, evaluation)
                            .await
                            .unwrap_or(Err(GuardrailError::OutOfTime { budget }))
                    }
                    _ => evaluation.await,
                }
            }
        };

        if let Err(e) = &result {
            record.outcome = Outcome::Failed;
            record.reason = e.to_string();
            record.reason_code = e.code();
            record.error = Some(e.into());
        }
        self.publish_finding(&mut record, result.as_ref().err())
            .await;
        self.notify(&mut record).await;
        self.audit.record(&record);
        (record, result)
    }

    /// Publishes the outcome when people should hear of it. A failure to publish is recorded
    /// and counted, never allowed to change the outcome.
    async fn notify(&self, record: &mut AuditRecord) {
        let Some(notifier) = &self.notifier else {
            return;
        };
        let outcome_to_tell = matches!(
            record.outcome,
            Outcome::Remediated | Outcome::DriftDetected | Outcome::Exempt | Outcome::Failed
        );
        if !outcome_to_tell && record.finding_status() != Some(PublicationStatus::Failed) {
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

    async fn inspect_and_act(&self, record: &mut AuditRecord) -> Result<(), GuardrailError> {
        // Settings first, then the expected key; whatever was learned before a failure still
        // goes into the record.
        let service_role = self.config.catalog_service_role_arn.as_deref();
        let Inspection {
            settings: before,
            expected_key,
            violations,
        } = inspect::inspect(&self.catalog, self.lookups.expected_key(), service_role)
            .await
            .map_err(|incomplete| {
                record.before = incomplete.settings;
                record.expected_key_arn = incomplete.expected_key.map(|key| key.arn);
                incomplete.error
            })?;
        record.before = Some(before.clone());
        record.expected_key_arn = Some(expected_key.key.arn.clone());
        record.violations.clone_from(&violations);

        // Only a drifted catalog pays for the exemption lookup.
        let exemption = if violations.is_empty() {
            None
        } else {
            self.exemption().await
        };
        let action = choose(
            &violations,
            exemption.as_ref(),
            self.config.enforcement_mode,
        );
        record.exemption = exemption;
        let outcome = match action.kind {
            ActionKind::LeaveAlone => Outcome::Compliant,
            ActionKind::HoldForExemption => Outcome::Exempt,
            ActionKind::Report => Outcome::DriftDetected,
            ActionKind::Remediate => Outcome::Remediated,
        };
        if action.kind != ActionKind::Remediate {
            record.outcome = outcome;
            record.reason_code = outcome.code();
            record.reason = action.reason;
            record.after = Some(before);
            return Ok(());
        }

        // The key may have been disabled or scheduled for deletion since the cache last
        // checked it: never write a key nobody has checked during this invocation.
        let key = if expected_key.checked_now {
            expected_key.key
        } else {
            self.lookups.recheck(&expected_key.key).await?
        };
        let policy = Policy {
            key: &key,
            service_role,
        };
        let desired = remediation(&policy);
        // Set before the call: if the deadline interrupts it, the record still says that a
        // write may have reached Glue.
        record.write = WriteStatus::Unknown;
        if let Err(e) = self.catalog.put_settings(&desired).await {
            record.write = write_after(&e);
            return Err(e.into());
        }
        record.write = WriteStatus::Confirmed;
        let after = self.catalog.get_settings().await?;
        record.after = Some(after.clone());
        let remaining = evaluate(&after, &policy);
        if !remaining.is_empty() {
            return Err(GuardrailError::VerificationFailed {
                violations: remaining,
            });
        }
        record.outcome = outcome;
        record.reason_code = outcome.code();
        record.reason = action.reason;
        Ok(())
    }

    /// Publishes the verdict as the catalog's Security Hub finding, when findings are on and
    /// there is a verdict to publish. A failure to publish is recorded and counted, and never
    /// changes the outcome or the write.
    async fn publish_finding(&self, record: &mut AuditRecord, error: Option<&GuardrailError>) {
        let Some(findings) = &self.findings else {
            return;
        };
        let Some(compliance) = compliance(record, error) else {
            return;
        };
        let Some(account) = record.catalog_id.clone() else {
            return;
        };
        let scope = Scope {
            partition: self.config.partition(),
            account: &account,
            region: &self.region,
        };
        let verdict = Verdict {
            compliance,
            reason: &record.reason,
            violations: &record.violations,
            mode: self.config.enforcement_mode,
            outcome: record.outcome.code(),
            event_id: record.trigger.event_id.as_deref(),
            expected_key_arn: record.expected_key_arn.as_deref(),
        };
        // Boxed, like the evaluation: a future that nests the SDK's is large, and on a thread
        // with a small stack (a test's) it would overflow it.
        let published =
            Box::pin(findings.publish(scope, &verdict, self.lookups.clock().utc_now())).await;
        record.security_hub = Some(match published {
            Ok(()) => FindingPublication {
                status: PublicationStatus::Published,
                compliance: compliance.as_str(),
                error: None,
            },
            Err(e) => {
                tracing::warn!(error = %e, "could not publish the Security Hub finding");
                FindingPublication {
                    status: PublicationStatus::Failed,
                    compliance: compliance.as_str(),
                    error: Some(e.to_string()),
                }
            }
        });
    }

    /// The exemption the stack's parameter holds, judged now; `None` when it holds none. A
    /// parameter that cannot be read is an exemption ignored: the guardrail fails closed.
    async fn exemption(&self) -> Option<Exemption> {
        let name = self.config.exemption_parameter.as_deref()?;
        match self.lookups.exemption(name).await {
            Ok(text) => assess(
                text.as_deref()?,
                self.lookups.clock().unix_now(),
                self.config.exemption_max_days,
            ),
            Err(e) => Some(Exemption::ignored(format!(
                "SSM parameter {name} could not be read: {e}"
            ))),
        }
    }
}

/// The finding's compliance status for an invocation, or `None` when it publishes nothing:
/// a skip, or a failure a retry may fix before anything is known (the finding then keeps its
/// last verdict rather than flap). A catalog in drift is FAILED whether it was reported, held
/// by an exemption or could not be fixed; a failure no retry can fix, before any verdict,
/// leaves the catalog unguarded: NOT_AVAILABLE.
fn compliance(record: &AuditRecord, error: Option<&GuardrailError>) -> Option<Compliance> {
    match record.outcome {
        Outcome::Compliant | Outcome::Remediated => Some(Compliance::Passed),
        Outcome::DriftDetected | Outcome::Exempt => Some(Compliance::Failed),
        Outcome::Skipped => None,
        Outcome::Failed if !record.violations.is_empty() => Some(Compliance::Failed),
        Outcome::Failed => match error {
            Some(e) if !e.is_transient() => Some(Compliance::NotAvailable),
            _ => None,
        },
    }
}

/// What a failed write may have done: an answer from Glue means it changed nothing; no answer,
/// or a server error, means it may have.
fn write_after(error: &AwsError) -> WriteStatus {
    match error.kind {
        AwsErrorKind::Timeout | AwsErrorKind::Unreachable | AwsErrorKind::ServerError => {
            WriteStatus::Unknown
        }
        AwsErrorKind::Throttled | AwsErrorKind::AccessDenied | AwsErrorKind::Rejected => {
            WriteStatus::Refused
        }
    }
}
