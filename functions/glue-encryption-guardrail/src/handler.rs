//! Entrypoint layer: the handler. Trigger → load → evaluate → remediate → verify → one audit
//! record, whatever happens on the way.

use crate::audit::{AuditRecord, AuditSink, Outcome};
use crate::config::{Config, EnforcementMode};
use crate::core::key::KeyDescription;
use crate::core::policy::{Violation, evaluate, remediation};
use crate::core::settings::CatalogSettings;
use crate::core::trigger::{Decision, Whoami, classify};
use crate::error::{GuardrailError, codes};
use crate::keys::{Clock, KeyResolver};
use crate::ports::{CatalogStore, KeyDirectory, ParameterStore};
use serde_json::Value;

/// What the runtime says about one invocation.
#[derive(Debug, Clone, Copy)]
pub struct Invocation<'a> {
    pub request_id: &'a str,
    /// The account the function runs in, from its invoked ARN, when known.
    pub account: Option<&'a str>,
}

/// The guardrail, built once at cold start and lent to every invocation.
pub struct Guardrail<G, P, K, A, C> {
    config: Config,
    region: String,
    catalog: G,
    keys: KeyResolver<P, K, C>,
    audit: A,
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
        }
    }

    /// Handles one event and writes its one audit record. Returns the record, or the error
    /// that failed the invocation (after recording it), so Lambda retries and the failure
    /// reaches the on-failure destination.
    pub async fn handle(
        &self,
        event: &Value,
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
            Decision::Evaluate => self.evaluate(&mut record).await,
        };

        match result {
            Ok(()) => {
                self.audit.record(&record);
                Ok(record)
            }
            Err(e) => {
                record.outcome = Outcome::Failed;
                record.reason = e.to_string();
                record.reason_code = e.code();
                record.error = Some((&e).into());
                self.audit.record(&record);
                Err(e)
            }
        }
    }

    async fn evaluate(&self, record: &mut AuditRecord) -> Result<(), GuardrailError> {
        let before = self.catalog.get_settings().await?;
        record.before = Some(before.clone());
        let expected = self.keys.expected_key().await?;
        record.expected_key_arn = Some(expected.arn.clone());

        let violations = self.violations(&before, &expected).await?;
        record.violations.clone_from(&violations);
        if violations.is_empty() {
            record.outcome = Outcome::Compliant;
            record.reason_code = "compliant";
            record.reason =
                "metadata and connection passwords are encrypted with the expected key".into();
            record.after = Some(before);
            return Ok(());
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
        let remaining = self.violations(&after, &expected).await?;
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

    /// Resolves the keys the settings name, then evaluates them with the pure policy.
    async fn violations(
        &self,
        settings: &CatalogSettings,
        expected: &KeyDescription,
    ) -> Result<Vec<Violation>, GuardrailError> {
        let mut resolved = Vec::with_capacity(2);
        for reference in settings.key_references() {
            resolved.push((reference, self.keys.is_expected(reference, expected).await?));
        }
        Ok(evaluate(settings, |reference| {
            resolved
                .iter()
                .any(|(r, is_expected)| *r == reference && *is_expected)
        }))
    }
}
