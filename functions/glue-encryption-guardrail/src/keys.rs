//! Entrypoint layer: finds the expected key and resolves the keys a catalog names, with a
//! short-lived cache so warm invocations cost no SSM or KMS calls.
//!
//! Only successes are cached: after a missing parameter or an unusable key, the next
//! invocation looks again, so an operator's fix takes effect at once. A changed parameter takes
//! effect within the TTL. When the TTL has run out and SSM or KMS cannot be reached, the
//! invocation fails rather than writing with a key nobody has checked lately.

use crate::core::key::{KeyDescription, KeyProblem, KeyReferenceKind, arn_region, check_usable};
use crate::error::{AwsErrorKind, GuardrailError};
use crate::ports::{KeyDirectory, ParameterStore};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The time source, injectable so tests can move time.
pub trait Clock: Send + Sync {
    /// Monotonic time, for cache ages.
    fn now(&self) -> Instant;
    /// Wall-clock time in seconds since the Unix epoch, for expiries and timestamps.
    fn unix_now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

impl<T: Clock> Clock for &T {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn unix_now(&self) -> u64 {
        (**self).unix_now()
    }
}

/// The monotonic system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

const MAX_CACHED_ALIASES: usize = 64;

#[derive(Debug, Default)]
struct Cache {
    expected: Option<(Instant, KeyDescription)>,
    /// The exemption parameter's value (`None`: no such parameter).
    exemption: Option<(Instant, Option<String>)>,
    /// Alias → the key ARN it resolved to (`None`: no such alias).
    aliases: HashMap<String, (Instant, Option<String>)>,
}

/// Resolves keys through SSM and KMS, remembering answers for `ttl`.
pub struct KeyResolver<P, K, C = SystemClock> {
    parameters: P,
    keys: K,
    parameter_name: String,
    region: String,
    ttl: Duration,
    clock: C,
    cache: Mutex<Cache>,
}

impl<P: ParameterStore + Sync, K: KeyDirectory + Sync, C: Clock> KeyResolver<P, K, C> {
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
    pub async fn expected_key(&self) -> Result<KeyDescription, GuardrailError> {
        if let Some((at, key)) = &self.cache().expected
            && self.fresh(*at)
        {
            return Ok(key.clone());
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
        self.cache().expected = Some((self.clock.now(), key.clone()));
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

    /// Whether `reference`, as a catalog names it, resolves to `expected`. Key ids and key
    /// ARNs compare without a call; aliases are resolved with `kms:DescribeKey` and cached.
    pub async fn is_expected(
        &self,
        reference: &str,
        expected: &KeyDescription,
    ) -> Result<bool, GuardrailError> {
        if let Some(answer) = expected.matches_without_lookup(reference) {
            return Ok(answer);
        }
        if let Some((at, arn)) = self.cache().aliases.get(reference)
            && self.fresh(*at)
        {
            return Ok(arn.as_deref() == Some(expected.arn.as_str()));
        }
        let arn = match self.keys.describe_key(reference).await {
            Ok(key) => key.map(|k| k.arn),
            // IAM authorizes DescribeKey on the key an alias points to, and the function may
            // describe the expected key: a denial means the alias names some other key. This
            // keeps the grant to the one key instead of every key in the account.
            Err(e) if e.kind == AwsErrorKind::AccessDenied => None,
            Err(e) => return Err(e.into()),
        };
        let answer = arn.as_deref() == Some(expected.arn.as_str());
        let mut cache = self.cache();
        // Settings name at most two keys at a time; the bound only stops a pathological
        // series of distinct aliases from growing the cache without end.
        if cache.aliases.len() >= MAX_CACHED_ALIASES {
            cache.aliases.clear();
        }
        cache
            .aliases
            .insert(reference.to_owned(), (self.clock.now(), arn));
        Ok(answer)
    }
}
