//! Pure core: the policy. A catalog is compliant when its metadata is encrypted at rest with
//! the expected customer managed key and its connection passwords are encrypted with it too.

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
    /// `SSE-KMS` without a key id: Glue then uses the AWS managed key `alias/aws/glue`.
    MetadataKeyMissing,
    /// Metadata is encrypted with a key other than the expected one.
    MetadataKeyNotExpected,
    /// Connection passwords are not encrypted.
    PasswordEncryptionDisabled,
    /// Password encryption is on but names no key.
    PasswordKeyMissing,
    /// Connection passwords are encrypted with a key other than the expected one.
    PasswordKeyNotExpected,
}

impl Violation {
    /// The stable code, as serialized.
    pub fn code(self) -> &'static str {
        match self {
            Self::MetadataEncryptionDisabled => "metadata_encryption_disabled",
            Self::MetadataEncryptionModeUnknown => "metadata_encryption_mode_unknown",
            Self::MetadataKeyMissing => "metadata_key_missing",
            Self::MetadataKeyNotExpected => "metadata_key_not_expected",
            Self::PasswordEncryptionDisabled => "password_encryption_disabled",
            Self::PasswordKeyMissing => "password_key_missing",
            Self::PasswordKeyNotExpected => "password_key_not_expected",
        }
    }
}

/// Evaluates settings against the policy. `is_expected_key` answers, for a key reference the
/// settings name, whether it resolves to the expected key; the caller resolves every reference
/// in [`CatalogSettings::key_references`] before calling, so this function does no I/O.
///
/// Returns the violations in a stable order; an empty list means compliant.
pub fn evaluate(
    settings: &CatalogSettings,
    is_expected_key: impl Fn(&str) -> bool,
) -> Vec<Violation> {
    let mut violations = Vec::new();

    let at_rest = &settings.encryption_at_rest;
    match &at_rest.catalog_encryption_mode {
        CatalogEncryptionMode::Disabled => violations.push(Violation::MetadataEncryptionDisabled),
        CatalogEncryptionMode::Unknown(_) => {
            violations.push(Violation::MetadataEncryptionModeUnknown)
        }
        CatalogEncryptionMode::SseKms | CatalogEncryptionMode::SseKmsWithServiceRole => {
            match at_rest.sse_aws_kms_key_id.as_deref() {
                None => violations.push(Violation::MetadataKeyMissing),
                Some(key) if !is_expected_key(key) => {
                    violations.push(Violation::MetadataKeyNotExpected)
                }
                Some(_) => {}
            }
        }
    }

    let passwords = &settings.connection_password_encryption;
    if !passwords.return_connection_password_encrypted {
        violations.push(Violation::PasswordEncryptionDisabled);
    } else {
        match passwords.aws_kms_key_id.as_deref() {
            None => violations.push(Violation::PasswordKeyMissing),
            Some(key) if !is_expected_key(key) => {
                violations.push(Violation::PasswordKeyNotExpected)
            }
            Some(_) => {}
        }
    }

    violations
}

/// The settings to write to bring a catalog into compliance: both sub-settings, each with the
/// expected key's ARN. A catalog in `SSE-KMS-WITH-SERVICE-ROLE` keeps that mode and its role,
/// since its owners chose to have Glue use the key through that role; every other catalog gets
/// `SSE-KMS`.
pub fn remediation(current: &CatalogSettings, expected_key_arn: &str) -> CatalogSettings {
    let at_rest = &current.encryption_at_rest;
    let (mode, role) = match (
        &at_rest.catalog_encryption_mode,
        &at_rest.catalog_encryption_service_role,
    ) {
        (CatalogEncryptionMode::SseKmsWithServiceRole, Some(role)) => (
            CatalogEncryptionMode::SseKmsWithServiceRole,
            Some(role.clone()),
        ),
        _ => (CatalogEncryptionMode::SseKms, None),
    };
    CatalogSettings {
        encryption_at_rest: EncryptionAtRest {
            catalog_encryption_mode: mode,
            sse_aws_kms_key_id: Some(expected_key_arn.to_owned()),
            catalog_encryption_service_role: role,
        },
        connection_password_encryption: ConnectionPasswordEncryption {
            return_connection_password_encrypted: true,
            aws_kms_key_id: Some(expected_key_arn.to_owned()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Violation::*;

    const OURS: &str =
        "arn:aws:kms:us-east-1:123456789012:key/1111aaaa-12ab-34cd-56ef-1234567890ab";
    const THEIRS: &str =
        "arn:aws:kms:us-east-1:123456789012:key/2222bbbb-12ab-34cd-56ef-1234567890ab";
    const ROLE: &str = "arn:aws:iam::123456789012:role/GlueCatalogKeyUser";

    fn settings(
        mode: &str,
        at_rest_key: Option<&str>,
        passwords: bool,
        password_key: Option<&str>,
    ) -> CatalogSettings {
        let mode = CatalogEncryptionMode::parse(mode);
        let role = (mode == CatalogEncryptionMode::SseKmsWithServiceRole).then(|| ROLE.to_owned());
        CatalogSettings {
            encryption_at_rest: EncryptionAtRest {
                catalog_encryption_mode: mode,
                sse_aws_kms_key_id: at_rest_key.map(str::to_owned),
                catalog_encryption_service_role: role,
            },
            connection_password_encryption: ConnectionPasswordEncryption {
                return_connection_password_encrypted: passwords,
                aws_kms_key_id: password_key.map(str::to_owned),
            },
        }
    }

    fn is_ours(key: &str) -> bool {
        key == OURS
    }

    /// Every mode × at-rest key × password flag × password key, with the violations each must
    /// produce, derived independently of `evaluate` from the policy's wording.
    #[test]
    fn every_mode_key_and_password_combination_is_judged_by_the_policy() {
        let modes = [
            "DISABLED",
            "SSE-KMS",
            "SSE-KMS-WITH-SERVICE-ROLE",
            "sse-kms",
            "SSE-S3",
        ];
        let keys = [None, Some(OURS), Some(THEIRS), Some("alias/aws/glue")];
        let mut cases = 0;
        for mode in modes {
            for at_rest_key in keys {
                for passwords in [false, true] {
                    for password_key in keys {
                        let expected_at_rest = match mode {
                            "DISABLED" => vec![MetadataEncryptionDisabled],
                            "SSE-KMS" | "SSE-KMS-WITH-SERVICE-ROLE" => match at_rest_key {
                                None => vec![MetadataKeyMissing],
                                Some(OURS) => vec![],
                                Some(_) => vec![MetadataKeyNotExpected],
                            },
                            _ => vec![MetadataEncryptionModeUnknown],
                        };
                        let expected_passwords = match (passwords, password_key) {
                            (false, _) => vec![PasswordEncryptionDisabled],
                            (true, None) => vec![PasswordKeyMissing],
                            (true, Some(OURS)) => vec![],
                            (true, Some(_)) => vec![PasswordKeyNotExpected],
                        };
                        let expected: Vec<_> = expected_at_rest
                            .into_iter()
                            .chain(expected_passwords)
                            .collect();

                        let actual = evaluate(
                            &settings(mode, at_rest_key, passwords, password_key),
                            is_ours,
                        );

                        assert_eq!(
                            actual, expected,
                            "{mode} {at_rest_key:?} {passwords} {password_key:?}"
                        );
                        cases += 1;
                    }
                }
            }
        }
        assert_eq!(cases, 5 * 4 * 2 * 4);
    }

    #[test]
    fn a_fully_encrypted_catalog_with_our_key_is_compliant() {
        assert!(evaluate(&settings("SSE-KMS", Some(OURS), true, Some(OURS)), is_ours).is_empty());
        assert!(
            evaluate(
                &settings("SSE-KMS-WITH-SERVICE-ROLE", Some(OURS), true, Some(OURS)),
                is_ours
            )
            .is_empty()
        );
    }

    #[test]
    fn remediation_writes_both_sub_settings_with_the_key_arn() {
        let fixed = remediation(&settings("DISABLED", None, false, None), OURS);
        assert_eq!(
            fixed.encryption_at_rest.catalog_encryption_mode,
            CatalogEncryptionMode::SseKms
        );
        assert_eq!(
            fixed.encryption_at_rest.sse_aws_kms_key_id.as_deref(),
            Some(OURS)
        );
        assert!(
            fixed
                .connection_password_encryption
                .return_connection_password_encrypted
        );
        assert_eq!(
            fixed
                .connection_password_encryption
                .aws_kms_key_id
                .as_deref(),
            Some(OURS)
        );
        assert!(evaluate(&fixed, is_ours).is_empty());
    }

    #[test]
    fn remediation_keeps_the_service_role_mode_and_its_role() {
        let fixed = remediation(
            &settings("SSE-KMS-WITH-SERVICE-ROLE", Some(THEIRS), true, None),
            OURS,
        );
        assert_eq!(
            fixed.encryption_at_rest.catalog_encryption_mode,
            CatalogEncryptionMode::SseKmsWithServiceRole
        );
        assert_eq!(
            fixed
                .encryption_at_rest
                .catalog_encryption_service_role
                .as_deref(),
            Some(ROLE)
        );
        assert_eq!(
            fixed.encryption_at_rest.sse_aws_kms_key_id.as_deref(),
            Some(OURS)
        );
    }

    #[test]
    fn service_role_mode_without_a_role_falls_back_to_sse_kms() {
        let mut current = settings("SSE-KMS-WITH-SERVICE-ROLE", Some(THEIRS), true, None);
        current.encryption_at_rest.catalog_encryption_service_role = None;
        let fixed = remediation(&current, OURS);
        assert_eq!(
            fixed.encryption_at_rest.catalog_encryption_mode,
            CatalogEncryptionMode::SseKms
        );
        assert_eq!(
            fixed.encryption_at_rest.catalog_encryption_service_role,
            None
        );
    }

    #[test]
    fn violation_codes_match_their_serialized_form() {
        for v in [
            MetadataEncryptionDisabled,
            MetadataEncryptionModeUnknown,
            MetadataKeyMissing,
            MetadataKeyNotExpected,
            PasswordEncryptionDisabled,
            PasswordKeyMissing,
            PasswordKeyNotExpected,
        ] {
            assert_eq!(
                serde_json::to_value(v).ok(),
                Some(serde_json::Value::from(v.code()))
            );
        }
    }
}
