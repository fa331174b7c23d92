//! Entrypoint layer: reads a catalog's settings, finds the expected key, resolves the keys the
//! settings name and judges them with the pure policy. The one place the guardrail and the
//! read-only audit CLI share, so both apply the same policy in the same way.
//!
//! Nothing here writes: it takes a [`CatalogStore`] but only ever calls `get_settings`.

use crate::core::key::KeyDescription;
use crate::core::policy::{Violation, evaluate};
use crate::core::settings::CatalogSettings;
use crate::error::GuardrailError;
use crate::keys::{Clock, KeyResolver};
use crate::ports::{CatalogStore, KeyDirectory, ParameterStore};
use std::future::Future;

/// A catalog judged against the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The settings as read.
    pub settings: CatalogSettings,
    /// The key the catalog must use.
    pub expected_key: KeyDescription,
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

/// Inspects the catalog against the key in the resolver's SSM parameter, as the guardrail
/// does. Calls, in order: get the settings, find the expected key (parameter, then
/// `DescribeKey`, both cached by the resolver), resolve any alias the settings name.
pub fn inspect<'a, G, P, K, C>(
    catalog: &'a G,
    keys: &'a KeyResolver<P, K, C>,
) -> impl Future<Output = Result<Inspection, Incomplete>> + 'a
where
    G: CatalogStore + Sync,
    P: ParameterStore + Sync,
    K: KeyDirectory + Sync,
    C: Clock,
{
    // Not an `async fn`: no extra layer of nested futures (see `inspect_against`).
    inspect_against(catalog, keys, keys.expected_key())
}

/// Like [`inspect`], with the expected key found by `expected_key` instead of the resolver's
/// parameter. The future is only polled after the settings have been read, so the call order
/// is the same either way.
pub async fn inspect_against<G, P, K, C>(
    catalog: &G,
    keys: &KeyResolver<P, K, C>,
    expected_key: impl Future<Output = Result<KeyDescription, GuardrailError>>,
) -> Result<Inspection, Incomplete>
where
    G: CatalogStore + Sync,
    P: ParameterStore + Sync,
    K: KeyDirectory + Sync,
    C: Clock,
{
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
    // The resolution loop of [`violations`], inline rather than called: the guardrail's main
    // future nests every future it awaits, and the compiler lays that out only so deep.
    let mut resolved = Vec::with_capacity(2);
    for reference in settings.key_references() {
        match keys.is_expected(reference, &expected_key).await {
            Ok(is_expected) => resolved.push((reference, is_expected)),
            Err(error) => {
                return Err(Incomplete {
                    settings: Some(settings.clone()),
                    expected_key: Some(expected_key),
                    error,
                });
            }
        }
    }
    let violations = judge(&settings, &resolved);
    Ok(Inspection {
        settings,
        expected_key,
        violations,
    })
}

/// Resolves the keys the settings name, then evaluates them with the pure policy.
pub async fn violations<P, K, C>(
    settings: &CatalogSettings,
    expected: &KeyDescription,
    keys: &KeyResolver<P, K, C>,
) -> Result<Vec<Violation>, GuardrailError>
where
    P: ParameterStore + Sync,
    K: KeyDirectory + Sync,
    C: Clock,
{
    let mut resolved = Vec::with_capacity(2);
    for reference in settings.key_references() {
        resolved.push((reference, keys.is_expected(reference, expected).await?));
    }
    Ok(judge(settings, &resolved))
}

/// The pure policy, given whether each key reference resolved to the expected key.
fn judge(settings: &CatalogSettings, resolved: &[(&str, bool)]) -> Vec<Violation> {
    evaluate(settings, |reference| {
        resolved
            .iter()
            .any(|(r, is_expected)| *r == reference && *is_expected)
    })
}
