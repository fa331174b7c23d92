//! Pure core: the catalog's encryption settings as the guardrail understands them.
//!
//! These mirror Glue's `DataCatalogEncryptionSettings` without depending on the SDK, so the
//! policy and the audit record never see an SDK type.

use serde::Serialize;

/// How the catalog's metadata is encrypted at rest (`CatalogEncryptionMode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogEncryptionMode {
    /// `DISABLED`: metadata is stored unencrypted.
    Disabled,
    /// `SSE-KMS`: Glue encrypts with the named key (the AWS managed key when none is named).
    SseKms,
    /// `SSE-KMS-WITH-SERVICE-ROLE`: Glue assumes a role of the customer's to use the key.
    SseKmsWithServiceRole,
    /// Anything else the API returned, kept verbatim so the audit record shows it.
    Unknown(String),
}

impl CatalogEncryptionMode {
    /// The API's spelling. Glue's values are case-sensitive, so `sse-kms` is `Unknown`.
    pub fn parse(value: &str) -> Self {
        match value {
            "DISABLED" => Self::Disabled,
            "SSE-KMS" => Self::SseKms,
            "SSE-KMS-WITH-SERVICE-ROLE" => Self::SseKmsWithServiceRole,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// The API's spelling of this mode.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Disabled => "DISABLED",
            Self::SseKms => "SSE-KMS",
            Self::SseKmsWithServiceRole => "SSE-KMS-WITH-SERVICE-ROLE",
            Self::Unknown(other) => other,
        }
    }
}

impl Serialize for CatalogEncryptionMode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// `EncryptionAtRest`: how catalog metadata is encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EncryptionAtRest {
    pub catalog_encryption_mode: CatalogEncryptionMode,
    /// `SseAwsKmsKeyId`: a key id, key ARN, alias name or alias ARN, as stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sse_aws_kms_key_id: Option<String>,
    /// `CatalogEncryptionServiceRole`, used by `SSE-KMS-WITH-SERVICE-ROLE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_encryption_service_role: Option<String>,
}

/// `ConnectionPasswordEncryption`: whether connection passwords are returned encrypted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionPasswordEncryption {
    pub return_connection_password_encrypted: bool,
    /// `AwsKmsKeyId`: a key id, key ARN, alias name or alias ARN, as stored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_kms_key_id: Option<String>,
}

/// Both sub-settings of a catalog. Glue clears a sub-setting a `Put` leaves out, so the
/// guardrail always reads and writes them together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogSettings {
    pub encryption_at_rest: EncryptionAtRest,
    pub connection_password_encryption: ConnectionPasswordEncryption,
}

impl CatalogSettings {
    /// What a catalog that was never configured reports: nothing encrypted.
    pub fn unencrypted() -> Self {
        Self {
            encryption_at_rest: EncryptionAtRest {
                catalog_encryption_mode: CatalogEncryptionMode::Disabled,
                sse_aws_kms_key_id: None,
                catalog_encryption_service_role: None,
            },
            connection_password_encryption: ConnectionPasswordEncryption {
                return_connection_password_encrypted: false,
                aws_kms_key_id: None,
            },
        }
    }
}

/// Treats an absent and an empty key id alike: both mean "no key named".
pub fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_through_their_api_spelling() {
        for spelling in ["DISABLED", "SSE-KMS", "SSE-KMS-WITH-SERVICE-ROLE"] {
            assert_eq!(CatalogEncryptionMode::parse(spelling).as_str(), spelling);
        }
    }

    #[test]
    fn modes_are_case_sensitive_like_the_api() {
        assert_eq!(
            CatalogEncryptionMode::parse("sse-kms"),
            CatalogEncryptionMode::Unknown("sse-kms".into())
        );
    }

    #[test]
    fn empty_key_ids_count_as_absent() {
        assert_eq!(non_empty(Some("  ".into())), None);
        assert_eq!(non_empty(Some("k".into())), Some("k".into()));
    }
}
