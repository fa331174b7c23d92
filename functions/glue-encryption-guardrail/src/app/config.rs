//! Application: configuration, typed and read once at cold start.

pub use crate::core::action::EnforcementMode;
use crate::core::arn;
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
/// `CATALOG_SERVICE_ROLE_ARN`: when set, the catalog must be in `SSE-KMS-WITH-SERVICE-ROLE` with
/// exactly this role; when not, in `SSE-KMS` with no role.
pub const CATALOG_SERVICE_ROLE_ARN: &str = "CATALOG_SERVICE_ROLE_ARN";
/// `EXEMPTION_MAX_DAYS`: how far ahead an exemption's `expires` may lie (default 90, at most 365).
pub const EXEMPTION_MAX_DAYS: &str = "EXEMPTION_MAX_DAYS";
/// `SECURITY_HUB_FINDINGS`: `enabled` publishes every verdict as a Security Hub finding;
/// `disabled` (the default) makes no Security Hub call at all.
pub const SECURITY_HUB_FINDINGS: &str = "SECURITY_HUB_FINDINGS";
/// `AWS_LAMBDA_FUNCTION_NAME`: set by Lambda. Lambda names the execution role's session after
/// the function, so with the role it names the function's own session (the loop guard).
pub const AWS_LAMBDA_FUNCTION_NAME: &str = "AWS_LAMBDA_FUNCTION_NAME";

/// The default key cache TTL: short enough that a re-pointed parameter takes effect within
/// minutes, long enough that a burst of events costs one SSM and one KMS call.
pub const DEFAULT_KEY_CACHE_TTL: Duration = Duration::from_secs(300);
const MAX_KEY_CACHE_TTL_SECONDS: u64 = 3600;
/// The default and the largest `EXEMPTION_MAX_DAYS`.
pub const DEFAULT_EXEMPTION_MAX_DAYS: u32 = 90;
const MAX_EXEMPTION_MAX_DAYS: u32 = 365;

/// The guardrail's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub kms_key_parameter: String,
    pub enforcement_mode: EnforcementMode,
    pub guardrail_role_arn: Option<String>,
    pub key_cache_ttl: Duration,
    pub exemption_parameter: Option<String>,
    pub exemption_max_days: u32,
    pub notification_topic_arn: Option<String>,
    pub catalog_service_role_arn: Option<String>,
    /// The function's name, as Lambda gives it; `None` outside Lambda.
    pub function_name: Option<String>,
    pub security_hub_findings: bool,
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
            exemption_max_days: DEFAULT_EXEMPTION_MAX_DAYS,
            notification_topic_arn: None,
            catalog_service_role_arn: None,
            function_name: None,
            security_hub_findings: false,
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
            if !is_parameter_name(&value) {
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
            && (arn.split(':').nth(2) != Some("sns") || arn::account(arn).is_none())
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

        let role_arn = |name: &'static str| match get(name) {
            Some(arn) if !arn::is_role_arn(&arn) => Err(ConfigError::Invalid {
                name,
                value: arn,
                expected: "an IAM role ARN, arn:PARTITION:iam::ACCOUNT:role/NAME",
            }),
            value => Ok(value),
        };
        let guardrail_role_arn = role_arn(GUARDRAIL_ROLE_ARN)?;
        let catalog_service_role_arn = role_arn(CATALOG_SERVICE_ROLE_ARN)?;

        let security_hub_findings = match get(SECURITY_HUB_FINDINGS).as_deref() {
            None | Some("disabled") => false,
            Some("enabled") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: SECURITY_HUB_FINDINGS,
                    value: other.to_owned(),
                    expected: "enabled or disabled",
                });
            }
        };

        let exemption_max_days = match get(EXEMPTION_MAX_DAYS) {
            None => DEFAULT_EXEMPTION_MAX_DAYS,
            Some(value) => match value.parse::<u32>() {
                Ok(days) if (1..=MAX_EXEMPTION_MAX_DAYS).contains(&days) => days,
                _ => {
                    return Err(ConfigError::Invalid {
                        name: EXEMPTION_MAX_DAYS,
                        value,
                        expected: "a whole number of days from 1 to 365",
                    });
                }
            },
        };

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
            exemption_max_days,
            notification_topic_arn,
            catalog_service_role_arn,
            function_name: get(AWS_LAMBDA_FUNCTION_NAME),
            security_hub_findings,
        })
    }

    /// The account the guardrail runs in, taken from its role ARN when one is configured.
    pub fn account_from_role(&self) -> Option<&str> {
        self.guardrail_role_arn.as_deref().and_then(arn::account)
    }

    /// The partition the function runs in, from its role ARN; `aws` when none is configured.
    pub fn partition(&self) -> &str {
        self.guardrail_role_arn
            .as_deref()
            .and_then(arn::partition)
            .unwrap_or("aws")
    }

    /// The function's own session as CloudTrail names the caller of its writes:
    /// `arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/FUNCTION`. An assumed-role ARN names the
    /// role without its path, and Lambda names the session after the function. `None` without
    /// both the role and the function name: the guardrail then evaluates its own writes, which
    /// find the catalog compliant at the cost of one read.
    pub fn own_session_arn(&self) -> Option<String> {
        let role = self.guardrail_role_arn.as_deref()?;
        let function = self.function_name.as_deref()?;
        let mut parts = role.splitn(6, ':');
        let (_, partition, _, _, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        let role_name = resource.rsplit('/').next()?;
        Some(format!(
            "arn:{partition}:sts::{account}:assumed-role/{role_name}/{function}"
        ))
    }
}

/// An SSM parameter name or ARN as the guardrail accepts it: no spaces, at most 2048
/// characters. The audit CLI checks its --key-parameter the same way.
pub fn is_parameter_name(value: &str) -> bool {
    !value.is_empty() && value.len() <= 2048 && !value.chars().any(char::is_whitespace)
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
            (EXEMPTION_MAX_DAYS, "30"),
            (
                CATALOG_SERVICE_ROLE_ARN,
                "arn:aws:iam::123456789012:role/GlueCatalogKeyUser",
            ),
            (AWS_LAMBDA_FUNCTION_NAME, "guardrail-fn"),
            (SECURITY_HUB_FINDINGS, "enabled"),
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
        assert_eq!(c.as_ref().map(|c| c.exemption_max_days), Some(30));
        assert_eq!(c.as_ref().map(|c| c.security_hub_findings), Some(true));
        assert_eq!(c.as_ref().map(Config::partition), Some("aws"));
        assert_eq!(
            c.as_ref()
                .and_then(|c| c.catalog_service_role_arn.as_deref()),
            Some("arn:aws:iam::123456789012:role/GlueCatalogKeyUser")
        );
        assert_eq!(
            c.as_ref().and_then(Config::own_session_arn).as_deref(),
            Some("arn:aws:sts::123456789012:assumed-role/Guardrail/guardrail-fn")
        );
    }

    #[test]
    fn the_own_session_needs_both_the_role_and_the_function_name() {
        let role = (
            GUARDRAIL_ROLE_ARN,
            "arn:aws-cn:iam::123456789012:role/Guardrail",
        );
        let function = (AWS_LAMBDA_FUNCTION_NAME, "fn");
        let session = |vars: &[(&str, &str)]| {
            let mut all = vec![(KMS_KEY_PARAMETER, "/k")];
            all.extend_from_slice(vars);
            config(&all).ok().and_then(|c| c.own_session_arn())
        };
        assert_eq!(
            session(&[role, function]).as_deref(),
            Some("arn:aws-cn:sts::123456789012:assumed-role/Guardrail/fn")
        );
        assert_eq!(session(&[role]), None);
        assert_eq!(session(&[function]), None);
    }

    #[test]
    fn malformed_values_name_their_variable() {
        let cases = [
            (ENFORCEMENT_MODE, "enforce"),
            (GUARDRAIL_ROLE_ARN, "arn:aws:iam::123456789012:user/bob"),
            (GUARDRAIL_ROLE_ARN, "Guardrail"),
            (KEY_CACHE_TTL_SECONDS, "five"),
            (KEY_CACHE_TTL_SECONDS, "86400"),
            (EXEMPTION_MAX_DAYS, "0"),
            (EXEMPTION_MAX_DAYS, "366"),
            (EXEMPTION_MAX_DAYS, "ninety"),
            (CATALOG_SERVICE_ROLE_ARN, "GlueCatalogKeyUser"),
            (SECURITY_HUB_FINDINGS, "yes"),
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
