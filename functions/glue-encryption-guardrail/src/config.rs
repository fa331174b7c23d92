//! Entrypoint layer: configuration, typed and read once at cold start.

use serde::Serialize;
use std::time::Duration;

/// `KMS_KEY_PARAMETER`: the name (or ARN) of the SSM parameter holding the expected key.
pub const KMS_KEY_PARAMETER: &str = "KMS_KEY_PARAMETER";
/// `ENFORCEMENT_MODE`: `remediate` (the default) or `detect`.
pub const ENFORCEMENT_MODE: &str = "ENFORCEMENT_MODE";
/// `GUARDRAIL_ROLE_ARN`: the function's execution role, so its own writes are recognized.
pub const GUARDRAIL_ROLE_ARN: &str = "GUARDRAIL_ROLE_ARN";
/// `KEY_CACHE_TTL_SECONDS`: how long a resolved key is trusted without asking again.
pub const KEY_CACHE_TTL_SECONDS: &str = "KEY_CACHE_TTL_SECONDS";
/// `EXEMPTION_PARAMETER`: the SSM parameter that, when it exists, may exempt this account and
/// region from remediation (see [`crate::core::exemption`]).
pub const EXEMPTION_PARAMETER: &str = "EXEMPTION_PARAMETER";
/// `NOTIFICATION_TOPIC_ARN`: an SNS topic told of every remediation, detected drift and failure.
pub const NOTIFICATION_TOPIC_ARN: &str = "NOTIFICATION_TOPIC_ARN";

/// The default key cache TTL: short enough that a re-pointed parameter takes effect within
/// minutes, long enough that a burst of events costs one SSM and one KMS call.
pub const DEFAULT_KEY_CACHE_TTL: Duration = Duration::from_secs(300);
const MAX_KEY_CACHE_TTL_SECONDS: u64 = 3600;

/// Whether the guardrail fixes drift or only reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnforcementMode {
    /// Re-apply both settings, then verify.
    #[default]
    Remediate,
    /// Report drift; never write.
    Detect,
}

/// The guardrail's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub kms_key_parameter: String,
    pub enforcement_mode: EnforcementMode,
    pub guardrail_role_arn: Option<String>,
    pub key_cache_ttl: Duration,
    pub exemption_parameter: Option<String>,
    pub notification_topic_arn: Option<String>,
}

impl Config {
    /// A configuration with the defaults and the given key parameter.
    pub fn new(kms_key_parameter: impl Into<String>) -> Self {
        Self {
            kms_key_parameter: kms_key_parameter.into(),
            enforcement_mode: EnforcementMode::default(),
            guardrail_role_arn: None,
            key_cache_ttl: DEFAULT_KEY_CACHE_TTL,
            exemption_parameter: None,
            notification_topic_arn: None,
        }
    }
}

/// A missing or malformed setting, naming the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set; it must name the SSM parameter that holds the KMS key ARN")]
    Missing(&'static str),
    #[error("{name} is {value:?}: {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the environment.
    /// Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let parameter_name = |name: &'static str, value: String| {
            if value.len() > 2048 || value.chars().any(char::is_whitespace) {
                return Err(ConfigError::Invalid {
                    name,
                    value,
                    expected: "an SSM parameter name or ARN (no spaces, at most 2048 characters)",
                });
            }
            Ok(value)
        };
        let kms_key_parameter =
            get(KMS_KEY_PARAMETER).ok_or(ConfigError::Missing(KMS_KEY_PARAMETER))?;
        let kms_key_parameter = parameter_name(KMS_KEY_PARAMETER, kms_key_parameter)?;
        let exemption_parameter = get(EXEMPTION_PARAMETER)
            .map(|v| parameter_name(EXEMPTION_PARAMETER, v))
            .transpose()?;
        let notification_topic_arn = get(NOTIFICATION_TOPIC_ARN);
        if let Some(arn) = &notification_topic_arn
            && (arn.split(':').nth(2) != Some("sns") || arn_account(arn).is_none())
        {
            return Err(ConfigError::Invalid {
                name: NOTIFICATION_TOPIC_ARN,
                value: arn.clone(),
                expected: "an SNS topic ARN, arn:PARTITION:sns:REGION:ACCOUNT:NAME",
            });
        }

        let enforcement_mode = match get(ENFORCEMENT_MODE).as_deref() {
            None | Some("remediate") => EnforcementMode::Remediate,
            Some("detect") => EnforcementMode::Detect,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: ENFORCEMENT_MODE,
                    value: other.to_owned(),
                    expected: "remediate or detect",
                });
            }
        };

        let guardrail_role_arn = get(GUARDRAIL_ROLE_ARN);
        if let Some(arn) = &guardrail_role_arn
            && !is_role_arn(arn)
        {
            return Err(ConfigError::Invalid {
                name: GUARDRAIL_ROLE_ARN,
                value: arn.clone(),
                expected: "an IAM role ARN, arn:PARTITION:iam::ACCOUNT:role/NAME",
            });
        }

        let key_cache_ttl = match get(KEY_CACHE_TTL_SECONDS) {
            None => DEFAULT_KEY_CACHE_TTL,
            Some(value) => match value.parse::<u64>() {
                Ok(seconds) if seconds <= MAX_KEY_CACHE_TTL_SECONDS => Duration::from_secs(seconds),
                _ => {
                    return Err(ConfigError::Invalid {
                        name: KEY_CACHE_TTL_SECONDS,
                        value,
                        expected: "a whole number of seconds from 0 to 3600",
                    });
                }
            },
        };

        Ok(Self {
            kms_key_parameter,
            enforcement_mode,
            guardrail_role_arn,
            key_cache_ttl,
            exemption_parameter,
            notification_topic_arn,
        })
    }

    /// The account the guardrail runs in, taken from its role ARN when one is configured.
    pub fn account_from_role(&self) -> Option<&str> {
        self.guardrail_role_arn.as_deref().and_then(arn_account)
    }
}

fn is_role_arn(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    parts.next() == Some("arn")
        && parts.next().is_some_and(|p| !p.is_empty())
        && parts.next() == Some("iam")
        && parts.next() == Some("")
        && parts
            .next()
            .is_some_and(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        && parts
            .next()
            .is_some_and(|r| r.starts_with("role/") && r.len() > 5)
}

/// The account id in an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:…`).
pub fn arn_account(arn: &str) -> Option<&str> {
    let account = arn.split(':').nth(4)?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| vars.get(k).cloned())
    }

    #[test]
    fn only_the_parameter_is_required() {
        let c = config(&[(KMS_KEY_PARAMETER, "/guardrail/key")]);
        assert_eq!(c, Ok(Config::new("/guardrail/key")));
    }

    #[test]
    fn a_missing_parameter_name_is_named() {
        let e = config(&[(ENFORCEMENT_MODE, "detect")]).err();
        assert_eq!(e, Some(ConfigError::Missing(KMS_KEY_PARAMETER)));
        assert!(e.is_some_and(|e| e.to_string().contains("KMS_KEY_PARAMETER")));
    }

    #[test]
    fn every_setting_is_read() {
        let c = config(&[
            (KMS_KEY_PARAMETER, "/k"),
            (ENFORCEMENT_MODE, "detect"),
            (
                GUARDRAIL_ROLE_ARN,
                "arn:aws:iam::123456789012:role/path/Guardrail",
            ),
            (KEY_CACHE_TTL_SECONDS, "0"),
            (EXEMPTION_PARAMETER, "/guardrail/exemption"),
            (
                NOTIFICATION_TOPIC_ARN,
                "arn:aws:sns:us-east-1:123456789012:guardrail",
            ),
        ]);
        let c = c.ok();
        assert_eq!(
            c.as_ref().map(|c| c.enforcement_mode),
            Some(EnforcementMode::Detect)
        );
        assert_eq!(c.as_ref().map(|c| c.key_cache_ttl), Some(Duration::ZERO));
        assert_eq!(
            c.as_ref().and_then(|c| c.account_from_role()),
            Some("123456789012")
        );
    }

    #[test]
    fn malformed_values_name_their_variable() {
        let cases = [
            (ENFORCEMENT_MODE, "enforce"),
            (GUARDRAIL_ROLE_ARN, "arn:aws:iam::123456789012:user/bob"),
            (GUARDRAIL_ROLE_ARN, "Guardrail"),
            (KEY_CACHE_TTL_SECONDS, "five"),
            (KEY_CACHE_TTL_SECONDS, "86400"),
            (KMS_KEY_PARAMETER, "has space"),
            (EXEMPTION_PARAMETER, "has space"),
            (NOTIFICATION_TOPIC_ARN, "guardrail-topic"),
            (
                NOTIFICATION_TOPIC_ARN,
                "arn:aws:sqs:us-east-1:123456789012:queue",
            ),
        ];
        for (name, value) in cases {
            let mut vars = vec![(KMS_KEY_PARAMETER, "/k")];
            vars.retain(|(k, _)| *k != name);
            vars.push((name, value));
            match config(&vars) {
                Err(ConfigError::Invalid { name: named, .. }) => assert_eq!(named, name),
                other => unreachable!("{name}={value} gave {other:?}"),
            }
        }
    }
}
