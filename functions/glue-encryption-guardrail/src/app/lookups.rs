//! Application: finds the expected key, with a short-lived cache so warm invocations that
//! only read cost no SSM or KMS calls, and checks it afresh before any write.
//!
//! Only successes are cached: after a missing parameter or an unusable key, the next
//! invocation looks again, so an operator's fix takes effect at once. A changed parameter takes
//! effect within the TTL. When the TTL has run out and SSM or KMS cannot be reached, the
//! invocation fails rather than evaluate against a key nobody has checked lately. The keys a
//! catalog's settings name are never looked up: the policy judges them by their text alone.

use crate::app::error::GuardrailError;
use crate::core::key::{KeyDescription, KeyProblem, KeyReferenceKind, arn_region, check_usable};
use crate::ports::{Clock, KeyDirectory, ParameterStore};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Default)]
struct Cache {
    /// The expected key, and when `DescribeKey` last said it was usable.
    expected: Option<(Instant, KeyDescription)>,
    /// The exemption parameter's value (`None`: no such parameter).
    exemption: Option<(Instant, Option<String>)>,
}

/// The expected key, and whether `kms:DescribeKey` said it was usable during this call rather
/// than in an earlier one (the cache).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedKey {
    pub key: KeyDescription,
    pub checked_now: bool,
}

/// Finds the expected key through SSM and KMS, remembering answers for `ttl`.
pub struct Lookups<P, K, C> {
    parameters: P,
    keys: K,
    parameter_name: String,
    region: String,
    ttl: Duration,
    clock: C,
    cache: Mutex<Cache>,
}

impl<P: ParameterStore + Sync, K: KeyDirectory + Sync, C: Clock> Lookups<P, K, C> {
    pub fn new(
        parameters: P,
        keys: K,
        parameter_name: String,
        region: String,
        ttl: Duration,
        clock: C,
    ) -> Self {
        Self {
            parameters,
            keys,
            parameter_name,
            region,
            ttl,
            clock,
            cache: Mutex::new(Cache::default()),
        }
    }

    fn fresh(&self, at: Instant) -> bool {
        self.clock.now().saturating_duration_since(at) < self.ttl
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        // The cache holds only plain data, so a panic elsewhere cannot leave it inconsistent.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The key the catalog must use: read from the SSM parameter, resolved with
    /// `kms:DescribeKey`, and checked usable. Fails, naming the cause, when it is not.
    pub async fn expected_key(&self) -> Result<CheckedKey, GuardrailError> {
        if let Some((at, key)) = &self.cache().expected
            && self.fresh(*at)
        {
            return Ok(CheckedKey {
                key: key.clone(),
                checked_now: false,
            });
        }
        let name = &self.parameter_name;
        let value = self
            .parameters
            .get_parameter(name)
            .await?
            .ok_or_else(|| GuardrailError::ParameterNotFound { name: name.clone() })?;
        let reference = value.trim();
        if reference.is_empty() {
            return Err(GuardrailError::ParameterEmpty { name: name.clone() });
        }
        if KeyReferenceKind::of(reference).is_none() {
            return Err(GuardrailError::ParameterNotKeyReference {
                name: name.clone(),
                value: reference.chars().take(256).collect(),
            });
        }
        // KMS is regional: a key ARN from another region is not found from here, so name
        // the actual cause before asking.
        if let Some(key_region) = arn_region(reference).filter(|r| *r != self.region) {
            return Err(GuardrailError::KeyUnusable {
                arn: reference.to_owned(),
                parameter: name.clone(),
                problem: KeyProblem::OtherRegion {
                    key_region: key_region.to_owned(),
                    region: self.region.clone(),
                },
            });
        }
        let key = self.describe_usable(reference).await?;
        self.cache().expected = Some((self.clock.now(), key.clone()));
        Ok(CheckedKey {
            key,
            checked_now: true,
        })
    }

    /// The expected key, described again with `kms:DescribeKey`, bypassing the cache: right
    /// before a write, a key checked earlier may have been disabled or scheduled for deletion
    /// since. On failure the cached key is dropped, so that the next invocation looks again.
    pub async fn recheck(
        &self,
        expected: &KeyDescription,
    ) -> Result<KeyDescription, GuardrailError> {
        match self.describe_usable(&expected.arn).await {
            Ok(key) => {
                self.cache().expected = Some((self.clock.now(), key.clone()));
                Ok(key)
            }
            Err(e) => {
                self.cache().expected = None;
                Err(e)
            }
        }
    }

    /// `kms:DescribeKey` on `reference`, and the key if it can protect the catalog.
    async fn describe_usable(&self, reference: &str) -> Result<KeyDescription, GuardrailError> {
        let name = &self.parameter_name;
        let key = self.keys.describe_key(reference).await?.ok_or_else(|| {
            GuardrailError::KeyNotFound {
                reference: reference.to_owned(),
                parameter: name.clone(),
            }
        })?;
        check_usable(&key, &self.region).map_err(|problem| GuardrailError::KeyUnusable {
            arn: key.arn.clone(),
            parameter: name.clone(),
            problem,
        })?;
        Ok(key)
    }

    /// The value of the exemption parameter `name`, or `None` when it does not exist; cached
    /// like the key, so only a catalog found drifted pays for the lookup, once per TTL.
    pub async fn exemption(&self, name: &str) -> Result<Option<String>, GuardrailError> {
        if let Some((at, value)) = &self.cache().exemption
            && self.fresh(*at)
        {
            return Ok(value.clone());
        }
        let value = self.parameters.get_parameter(name).await?;
        self.cache().exemption = Some((self.clock.now(), value.clone()));
        Ok(value)
    }

    /// The clock this resolver ages its cache by.
    pub fn clock(&self) -> &C {
        &self.clock
    }
}
