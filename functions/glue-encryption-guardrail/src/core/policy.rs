//! Pure core: the policy. A catalog is compliant when its metadata is encrypted at rest with
//! the expected customer managed key, in the configured mode, and its connection passwords are
//! encrypted with that key too; each key named by its key ARN or bare key id, never an alias.

use super::key::{KeyDescription, KeyNaming};
use super::settings::{
    CatalogEncryptionMode, CatalogSettings, ConnectionPasswordEncryption, EncryptionAtRest,
};
use serde::Serialize;

/// One way a catalog falls short of the policy. The codes are stable: they appear in the audit
/// record, in metrics and in queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Violation {
    /// Metadata is not encrypted at rest (`DISABLED`).
    MetadataEncryptionDisabled,
    /// The at-rest mode is none Glue documents (for example a wrong-case `sse-kms`).
    MetadataEncryptionModeUnknown,
    /// `SSE-KMS-WITH-SERVICE-ROLE` when the policy is `SSE-KMS`, or the other way round, or
    /// another role than the configured one.
    MetadataServiceRoleNotExpected,
    /// `SSE-KMS` without a key id: Glue then uses the AWS managed key `alias/aws/glue`.
    MetadataKeyMissing,
    /// Metadata is encrypted with a key other than the expected one.
    MetadataKeyNotExpected,
    /// Metadata names its key by an alias, which can be re-pointed without any Glue event.
    MetadataKeyNotPinned,
    /// Connection passwords are not encrypted.
    PasswordEncryptionDisabled,
    /// Password encryption is on but names no key.
    PasswordKeyMissing,
    /// Connection passwords are encrypted with a key other than the expected one.
    PasswordKeyNotExpected,
    /// Connection passwords name their key by an alias.
    PasswordKeyNotPinned,
}

impl Violation {
    /// Every violation, in the order the policy reports them.
    pub const ALL: [Self; 10] = [
        Self::MetadataEncryptionDisabled,
        Self::MetadataEncryptionModeUnknown,
        Self::MetadataServiceRoleNotExpected,
        Self::MetadataKeyMissing,
        Self::MetadataKeyNotExpected,
        Self::MetadataKeyNotPinned,
        Self::PasswordEncryptionDisabled,
        Self::PasswordKeyMissing,
        Self::PasswordKeyNotExpected,
        Self::PasswordKeyNotPinned,
    ];

    /// The stable code, as serialized.
    pub fn code(self) -> &'static str {
        match self {
            Self::MetadataEncryptionDisabled => "metadata_encryption_disabled",
            Self::MetadataEncryptionModeUnknown => "metadata_encryption_mode_unknown",
            Self::MetadataServiceRoleNotExpected => "metadata_service_role_not_expected",
            Self::MetadataKeyMissing => "metadata_key_missing",
            Self::MetadataKeyNotExpected => "metadata_key_not_expected",
            Self::MetadataKeyNotPinned => "metadata_key_not_pinned",
            Self::PasswordEncryptionDisabled => "password_encryption_disabled",
            Self::PasswordKeyMissing => "password_key_missing",
            Self::PasswordKeyNotExpected => "password_key_not_expected",
            Self::PasswordKeyNotPinned => "password_key_not_pinned",
        }
    }
}

/// Violation codes as a comma-separated list, for messages.
pub fn codes(violations: &[Violation]) -> String {
    let codes: Vec<_> = violations.iter().map(|v| v.code()).collect();
    codes.join(", ")
}

/// What the catalog must be: encrypted with `key`, at rest in `SSE-KMS`, or in
/// `SSE-KMS-WITH-SERVICE-ROLE` with exactly `service_role` when one is configured.
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// The expected key, as `DescribeKey` described it.
    pub key: &'a KeyDescription,
    /// The role Glue must assume to use the key (`CATALOG_SERVICE_ROLE_ARN`), if any.
    pub service_role: Option<&'a str>,
}

/// Evaluates settings against the policy, from the settings and the expected key alone: no key
/// the catalog names is ever looked up. Returns the violations in a stable order; an empty list
/// means compliant.
pub fn evaluate(settings: &CatalogSettings, policy: &Policy<'_>) -> Vec<Violation> {
    let mut violations = Vec::new();

    let at_rest = &settings.encryption_at_rest;
    let mode = &at_rest.catalog_encryption_mode;
    match mode {
        CatalogEncryptionMode::Disabled => violations.push(Violation::MetadataEncryptionDisabled),
        CatalogEncryptionMode::Unknown(_) => {
            violations.push(Violation::MetadataEncryptionModeUnknown)
        }
        CatalogEncryptionMode::SseKms | CatalogEncryptionMode::SseKmsWithServiceRole => {
            let role_as_configured = match policy.service_role {
                None => *mode == CatalogEncryptionMode::SseKms,
                Some(role) => {
                    *mode == CatalogEncryptionMode::SseKmsWithServiceRole
                        && at_rest.catalog_encryption_service_role.as_deref() == Some(role)
                }
            };
            if !role_as_configured {
                violations.push(Violation::MetadataServiceRoleNotExpected);
            }
            violations.extend(judge_key(
                at_rest.sse_aws_kms_key_id.as_deref(),
                policy.key,
                [
                    Violation::MetadataKeyMissing,
                    Violation::MetadataKeyNotExpected,
                    Violation::MetadataKeyNotPinned,
                ],
            ));
        }
    }

    let passwords = &settings.connection_password_encryption;
    if passwords.return_connection_password_encrypted {
        violations.extend(judge_key(
            passwords.aws_kms_key_id.as_deref(),
            policy.key,
            [
                Violation::PasswordKeyMissing,
                Violation::PasswordKeyNotExpected,
                Violation::PasswordKeyNotPinned,
            ],
        ));
    } else {
        violations.push(Violation::PasswordEncryptionDisabled);
    }

    violations
}

/// The violation, if any, of one sub-setting's key: `[missing, not expected, not pinned]`.
fn judge_key(
    reference: Option<&str>,
    expected: &KeyDescription,
    [missing, not_expected, not_pinned]: [Violation; 3],
) -> Option<Violation> {
    match reference.map(|reference| expected.naming(reference)) {
        None => Some(missing),
        Some(KeyNaming::Expected) => None,
        Some(KeyNaming::Alias) => Some(not_pinned),
        Some(KeyNaming::Other) => Some(not_expected),
    }
}

/// The settings to write to bring a catalog into compliance: both sub-settings, each with the
/// expected key's ARN, in the configured mode. Nothing of the drifted settings is carried over.
pub fn remediation(policy: &Policy<'_>) -> CatalogSettings {
    let mode = match policy.service_role {
        Some(_) => CatalogEncryptionMode::SseKmsWithServiceRole,
        None => CatalogEncryptionMode::SseKms,
    };
    CatalogSettings {
        encryption_at_rest: EncryptionAtRest {
            catalog_encryption_mode: mode,
            sse_aws_kms_key_id: Some(policy.key.arn.clone()),
            catalog_encryption_service_role: policy.service_role.map(str::to_owned),
        },
        connection_password_encryption: ConnectionPasswordEncryption {
            return_connection_password_encrypted: true,
            aws_kms_key_id: Some(policy.key.arn.clone()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Violation::*;

    const OURS: &str =
        "arn:aws:kms:us-east-1:123456789012:key/1111aaaa-12ab-34cd-56ef-1234567890ab";
    const OURS_ID: &str = "1111aaaa-12ab-34cd-56ef-1234567890ab";
    const THEIRS: &str =
        "arn:aws:kms:us-east-1:123456789012:key/2222bbbb-12ab-34cd-56ef-1234567890ab";
    const OUR_ALIAS_ARN: &str = "arn:aws:kms:us-east-1:123456789012:alias/guardrail";
    const ROLE: &str = "arn:aws:iam::123456789012:role/GlueCatalogKeyUser";
    const OTHER_ROLE: &str = "arn:aws:iam::123456789012:role/SomeoneElse";

    fn our_key() -> KeyDescription {
        KeyDescription {
            arn: OURS.into(),
            key_id: OURS_ID.into(),
            state: "Enabled".into(),
            spec: Some("SYMMETRIC_DEFAULT".into()),
            usage: Some("ENCRYPT_DECRYPT".into()),
            manager: Some("CUSTOMER".into()),
        }
    }

    fn settings(
        mode: &str,
        role: Option<&str>,
        at_rest_key: Option<&str>,
        passwords: bool,
        password_key: Option<&str>,
    ) -> CatalogSettings {
        CatalogSettings {
            encryption_at_rest: EncryptionAtRest {
                catalog_encryption_mode: CatalogEncryptionMode::parse(mode),
                sse_aws_kms_key_id: at_rest_key.map(str::to_owned),
                catalog_encryption_service_role: role.map(str::to_owned),
            },
            connection_password_encryption: ConnectionPasswordEncryption {
                return_connection_password_encrypted: passwords,
                aws_kms_key_id: password_key.map(str::to_owned),
            },
        }
    }

    /// The key half of the policy, restated from its wording: missing, ours by ARN or id,
    /// an alias (whatever it points at), or anything else.
    fn expected_key_violation(
        key: Option<&str>,
        [missing, not_expected, not_pinned]: [Violation; 3],
    ) -> Vec<Violation> {
        match key {
            None => vec![missing],
            Some(OURS | OURS_ID) => vec![],
            Some(k) if k.starts_with("alias/") || k.contains(":alias/") => vec![not_pinned],
            Some(_) => vec![not_expected],
        }
    }

    /// Every policy (with and without a service role) × mode × catalog role × at-rest key ×
    /// password flag × password key, with the violations each must produce, derived
    /// independently of `evaluate` from the policy's wording.
    #[test]
    fn every_combination_is_judged_by_the_policy() {
        let key = our_key();
        let modes = [
            "DISABLED",
            "SSE-KMS",
            "SSE-KMS-WITH-SERVICE-ROLE",
            "sse-kms",
            "SSE-S3",
        ];
        let roles = [None, Some(ROLE), Some(OTHER_ROLE)];
        let keys = [
            None,
            Some(OURS),
            Some(OURS_ID),
            Some(THEIRS),
            Some("alias/aws/glue"),
            Some(OUR_ALIAS_ARN),
        ];
        let mut cases = 0;
        for service_role in [None, Some(ROLE)] {
            let policy = Policy {
                key: &key,
                service_role,
            };
            for mode in modes {
                for role in roles {
                    for at_rest_key in keys {
                        for passwords in [false, true] {
                            for password_key in keys {
                                let mut expected = match mode {
                                    "DISABLED" => vec![MetadataEncryptionDisabled],
                                    "SSE-KMS" | "SSE-KMS-WITH-SERVICE-ROLE" => {
                                        let in_configured_mode = match service_role {
                                            None => mode == "SSE-KMS",
                                            Some(r) => {
                                                mode == "SSE-KMS-WITH-SERVICE-ROLE"
                                                    && role == Some(r)
                                            }
                                        };
                                        let mut v = Vec::new();
                                        if !in_configured_mode {
                                            v.push(MetadataServiceRoleNotExpected);
                                        }
                                        v.extend(expected_key_violation(
                                            at_rest_key,
                                            [
                                                MetadataKeyMissing,
                                                MetadataKeyNotExpected,
                                                MetadataKeyNotPinned,
                                            ],
                                        ));
                                        v
                                    }
                                    _ => vec![MetadataEncryptionModeUnknown],
                                };
                                if passwords {
                                    expected.extend(expected_key_violation(
                                        password_key,
                                        [
                                            PasswordKeyMissing,
                                            PasswordKeyNotExpected,
                                            PasswordKeyNotPinned,
                                        ],
                                    ));
                                } else {
                                    expected.push(PasswordEncryptionDisabled);
                                }

                                let actual = evaluate(
                                    &settings(mode, role, at_rest_key, passwords, password_key),
                                    &policy,
                                );

                                assert_eq!(
                                    actual, expected,
                                    "{service_role:?} {mode} {role:?} {at_rest_key:?} {passwords} {password_key:?}"
                                );
                                cases += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 2 * 5 * 3 * 6 * 2 * 6);
    }

    #[test]
    fn an_alias_of_the_expected_key_is_drift_because_it_can_be_re_pointed() {
        let key = our_key();
        let policy = Policy {
            key: &key,
            service_role: None,
        };
        let by_alias = settings(
            "SSE-KMS",
            None,
            Some("alias/guardrail"),
            true,
            Some(OUR_ALIAS_ARN),
        );
        assert_eq!(
            evaluate(&by_alias, &policy),
            [MetadataKeyNotPinned, PasswordKeyNotPinned]
        );
    }

    #[test]
    fn remediation_writes_both_sub_settings_with_the_key_arn_and_no_role() {
        let key = our_key();
        let policy = Policy {
            key: &key,
            service_role: None,
        };
        let fixed = remediation(&policy);
        assert_eq!(
            fixed,
            settings("SSE-KMS", None, Some(OURS), true, Some(OURS))
        );
        assert!(evaluate(&fixed, &policy).is_empty());
    }

    #[test]
    fn remediation_writes_the_configured_service_role() {
        let key = our_key();
        let policy = Policy {
            key: &key,
            service_role: Some(ROLE),
        };
        let fixed = remediation(&policy);
        assert_eq!(
            fixed,
            settings(
                "SSE-KMS-WITH-SERVICE-ROLE",
                Some(ROLE),
                Some(OURS),
                true,
                Some(OURS)
            )
        );
        assert!(evaluate(&fixed, &policy).is_empty());
    }

    #[test]
    fn violation_codes_match_their_serialized_form() {
        for v in Violation::ALL {
            assert_eq!(
                serde_json::to_value(v).ok(),
                Some(serde_json::Value::from(v.code()))
            );
        }
        let mut sorted = Violation::ALL;
        sorted.sort();
        assert_eq!(
            sorted,
            Violation::ALL,
            "ALL lists them in declaration order"
        );
    }
}
