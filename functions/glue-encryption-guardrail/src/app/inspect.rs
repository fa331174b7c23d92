//! Application: reads a catalog's settings, finds the expected key and judges the settings
//! with the pure policy. The one place the guardrail and the read-only audit CLI share, so both
//! apply the same policy in the same way.
//!
//! Nothing here can write: it takes a [`CatalogReader`].

use crate::app::error::GuardrailError;
use crate::app::lookups::CheckedKey;
use crate::core::key::KeyDescription;
use crate::core::policy::{Policy, Violation, evaluate};
use crate::core::settings::CatalogSettings;
use crate::ports::CatalogReader;
use std::future::Future;

/// A catalog judged against the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The settings as read.
    pub settings: CatalogSettings,
    /// The key the catalog must use, and whether it was checked during this inspection.
    pub expected_key: CheckedKey,
    /// What falls short, in a stable order; empty when compliant.
    pub violations: Vec<Violation>,
}

impl Inspection {
    pub fn is_compliant(&self) -> bool {
        self.violations.is_empty()
    }
}

/// An inspection that stopped at `error`, with whatever it had learned before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incomplete {
    /// The settings, when they were read before the failure.
    pub settings: Option<CatalogSettings>,
    /// The expected key, when it was found before the failure.
    pub expected_key: Option<KeyDescription>,
    pub error: GuardrailError,
}

/// Inspects the catalog: reads its settings, then finds the expected key with `expected_key`
/// (the guardrail's cached resolver, or the audit CLI's own lookup; the future is polled only
/// after the read), then evaluates the settings against the key and `service_role`. The keys
/// the settings name are judged by their text: none is looked up.
pub async fn inspect<G: CatalogReader + Sync>(
    catalog: &G,
    expected_key: impl Future<Output = Result<CheckedKey, GuardrailError>>,
    service_role: Option<&str>,
) -> Result<Inspection, Incomplete> {
    let settings = catalog.get_settings().await.map_err(|e| Incomplete {
        settings: None,
        expected_key: None,
        error: e.into(),
    })?;
    let expected_key = match expected_key.await {
        Ok(key) => key,
        Err(error) => {
            return Err(Incomplete {
                settings: Some(settings),
                expected_key: None,
                error,
            });
        }
    };
    let violations = evaluate(
        &settings,
        &Policy {
            key: &expected_key.key,
            service_role,
        },
    );
    Ok(Inspection {
        settings,
        expected_key,
        violations,
    })
}
