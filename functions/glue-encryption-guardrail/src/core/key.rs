//! Pure core: naming KMS keys, and deciding whether a described key can protect a catalog.

use serde::Serialize;
use std::fmt;

/// The four ways a KMS key can be named. The SSM parameter may hold any of them (the guardrail
/// resolves it with `DescribeKey` and writes the key ARN); the catalog's settings comply only
/// with the two that cannot be re-pointed, see [`KeyNaming`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyReferenceKind {
    /// `arn:aws:kms:us-east-1:123456789012:key/1234abcd-…` (or `mrk-…`).
    KeyArn,
    /// `1234abcd-12ab-34cd-56ef-1234567890ab` or `mrk-…`, in the caller's account and region.
    KeyId,
    /// `alias/name`: may be re-pointed at another key at any time.
    AliasName,
    /// `arn:aws:kms:us-east-1:123456789012:alias/name`.
    AliasArn,
}

impl KeyReferenceKind {
    /// Recognizes a key reference, or returns `None` for text that names no key.
    pub fn of(reference: &str) -> Option<Self> {
        if let Some(rest) = reference.strip_prefix("arn:") {
            let arn = parse_kms_arn(rest)?;
            return match arn.resource {
                KmsResource::Key(id) if is_key_id(id) => Some(Self::KeyArn),
                KmsResource::Alias(name) if is_alias_name(name) => Some(Self::AliasArn),
                _ => None,
            };
        }
        if let Some(name) = reference.strip_prefix("alias/") {
            return is_alias_name(name).then_some(Self::AliasName);
        }
        is_key_id(reference).then_some(Self::KeyId)
    }
}

/// The region part of a KMS key or alias ARN.
pub fn arn_region(arn: &str) -> Option<&str> {
    parse_kms_arn(arn.strip_prefix("arn:")?).map(|a| a.region)
}

struct KmsArn<'a> {
    region: &'a str,
    resource: KmsResource<'a>,
}

enum KmsResource<'a> {
    Key(&'a str),
    Alias(&'a str),
}

/// Parses what follows `arn:` in `arn:PARTITION:kms:REGION:ACCOUNT:key/ID|alias/NAME`.
fn parse_kms_arn(rest: &str) -> Option<KmsArn<'_>> {
    let mut parts = rest.splitn(5, ':');
    let partition = parts.next()?;
    let service = parts.next()?;
    let region = parts.next()?;
    let account = parts.next()?;
    let resource = parts.next()?;
    let well_formed = !partition.is_empty()
        && service == "kms"
        && !region.is_empty()
        && super::arn::is_account_id(account);
    if !well_formed {
        return None;
    }
    let resource = if let Some(id) = resource.strip_prefix("key/") {
        KmsResource::Key(id)
    } else {
        KmsResource::Alias(resource.strip_prefix("alias/")?)
    };
    Some(KmsArn { region, resource })
}

/// A key id: a UUID, or `mrk-` and 32 hex digits for a multi-Region key.
fn is_key_id(id: &str) -> bool {
    if let Some(hex) = id.strip_prefix("mrk-") {
        return hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// An alias name after `alias/`: 1 to 250 of `[A-Za-z0-9/_-]`.
fn is_alias_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 250
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-'))
}

/// What `kms:DescribeKey` says of a key, reduced to what the guardrail decides on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyDescription {
    pub arn: String,
    pub key_id: String,
    /// `KeyState`: `Enabled`, `Disabled`, `PendingDeletion`, …
    pub state: String,
    /// `KeySpec`, e.g. `SYMMETRIC_DEFAULT`. `None` when the service did not say.
    pub spec: Option<String>,
    /// `KeyUsage`, e.g. `ENCRYPT_DECRYPT`. `None` when the service did not say.
    pub usage: Option<String>,
    /// `KeyManager`: `CUSTOMER` or `AWS`.
    pub manager: Option<String>,
}

/// How a key reference the catalog's settings hold relates to the expected key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyNaming {
    /// The expected key, by its key ARN or bare key id: names that never change what they name.
    Expected,
    /// An alias (name or ARN). `kms:UpdateAlias` can re-point it at another key without any Glue
    /// event, so it never pins the catalog to a key, whatever it points at today. The guardrail
    /// never resolves it: a string chosen by whoever caused the drift is not looked up.
    Alias,
    /// Another key, or text that names no key.
    Other,
}

impl KeyDescription {
    /// How `reference`, as the catalog's settings hold it, names this key. Decided from the text
    /// alone, without a call.
    pub fn naming(&self, reference: &str) -> KeyNaming {
        match KeyReferenceKind::of(reference) {
            Some(KeyReferenceKind::KeyArn) if reference == self.arn => KeyNaming::Expected,
            // A bare key id means a key of the caller's own account and region.
            Some(KeyReferenceKind::KeyId) if reference == self.key_id => KeyNaming::Expected,
            Some(KeyReferenceKind::AliasName | KeyReferenceKind::AliasArn) => KeyNaming::Alias,
            _ => KeyNaming::Other,
        }
    }
}

/// Why a key cannot protect the catalog. Writing such a key would lock the catalog's metadata
/// behind a key Glue cannot use, so the guardrail refuses before any write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    NotEnabled { state: String },
    NotSymmetric { spec: Option<String> },
    NotEncryptDecrypt { usage: Option<String> },
    AwsManaged,
    OtherRegion { key_region: String, region: String },
    MalformedArn,
}

impl KeyProblem {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotEnabled { .. } => "key_not_enabled",
            Self::NotSymmetric { .. } => "key_not_symmetric",
            Self::NotEncryptDecrypt { .. } => "key_not_encrypt_decrypt",
            Self::AwsManaged => "key_aws_managed",
            Self::OtherRegion { .. } => "key_in_other_region",
            Self::MalformedArn => "key_arn_malformed",
        }
    }
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn or_unknown(value: &Option<String>) -> &str {
            value.as_deref().unwrap_or("not reported")
        }
        match self {
            Self::NotEnabled { state } => write!(f, "key state is {state}, not Enabled"),
            Self::NotSymmetric { spec } => write!(
                f,
                "key spec is {}, Glue supports SYMMETRIC_DEFAULT only",
                or_unknown(spec)
            ),
            Self::NotEncryptDecrypt { usage } => write!(
                f,
                "key usage is {}, Glue needs ENCRYPT_DECRYPT",
                or_unknown(usage)
            ),
            Self::AwsManaged => write!(
                f,
                "key is AWS managed; the catalog must use a customer managed key"
            ),
            Self::OtherRegion { key_region, region } => {
                write!(f, "key is in {key_region}, the catalog is in {region}")
            }
            Self::MalformedArn => write!(f, "DescribeKey returned a malformed key ARN"),
        }
    }
}

/// Checks that a key can protect a catalog in `region`: enabled, symmetric, for
/// encrypt/decrypt, customer managed and in the same region. Fields the service did not
/// report fail the check: the guardrail never assumes a key works.
pub fn check_usable(key: &KeyDescription, region: &str) -> Result<(), KeyProblem> {
    if key.state != "Enabled" {
        return Err(KeyProblem::NotEnabled {
            state: key.state.clone(),
        });
    }
    if key.spec.as_deref() != Some("SYMMETRIC_DEFAULT") {
        return Err(KeyProblem::NotSymmetric {
            spec: key.spec.clone(),
        });
    }
    if key.usage.as_deref() != Some("ENCRYPT_DECRYPT") {
        return Err(KeyProblem::NotEncryptDecrypt {
            usage: key.usage.clone(),
        });
    }
    if key.manager.as_deref() == Some("AWS") {
        return Err(KeyProblem::AwsManaged);
    }
    if KeyReferenceKind::of(&key.arn) != Some(KeyReferenceKind::KeyArn) {
        return Err(KeyProblem::MalformedArn);
    }
    match arn_region(&key.arn) {
        Some(key_region) if key_region == region => Ok(()),
        Some(key_region) => Err(KeyProblem::OtherRegion {
            key_region: key_region.to_owned(),
            region: region.to_owned(),
        }),
        None => Err(KeyProblem::MalformedArn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
    const ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn usable_key() -> KeyDescription {
        KeyDescription {
            arn: ARN.into(),
            key_id: ID.into(),
            state: "Enabled".into(),
            spec: Some("SYMMETRIC_DEFAULT".into()),
            usage: Some("ENCRYPT_DECRYPT".into()),
            manager: Some("CUSTOMER".into()),
        }
    }

    #[test]
    fn the_four_ways_to_name_a_key_are_recognized() {
        let cases = [
            (ARN, Some(KeyReferenceKind::KeyArn)),
            (ID, Some(KeyReferenceKind::KeyId)),
            (
                "mrk-1234abcd12ab34cd56ef1234567890ab",
                Some(KeyReferenceKind::KeyId),
            ),
            ("alias/guardrail", Some(KeyReferenceKind::AliasName)),
            (
                "arn:aws:kms:us-east-1:123456789012:alias/guardrail",
                Some(KeyReferenceKind::AliasArn),
            ),
            (
                "arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
                Some(KeyReferenceKind::KeyArn),
            ),
        ];
        for (reference, kind) in cases {
            assert_eq!(KeyReferenceKind::of(reference), kind, "{reference}");
        }
    }

    #[test]
    fn text_that_names_no_key_is_rejected() {
        for reference in [
            "",
            " ",
            "my-key",
            "alias/",
            "alias/has space",
            "arn:aws:s3:::bucket",
            "arn:aws:kms:us-east-1:12345:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:us-east-1:123456789012:key/not-a-uuid",
            "1234abcd-12ab-34cd-56ef-1234567890aX",
        ] {
            assert_eq!(KeyReferenceKind::of(reference), None, "{reference:?}");
        }
    }

    #[test]
    fn only_the_key_arn_or_id_of_the_expected_key_pins_it() {
        let key = usable_key();
        let cases = [
            (ARN, KeyNaming::Expected),
            (ID, KeyNaming::Expected),
            (
                "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000",
                KeyNaming::Other,
            ),
            (
                "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                KeyNaming::Other,
            ),
            ("alias/aws/glue", KeyNaming::Alias),
            ("alias/guardrail", KeyNaming::Alias),
            (
                "arn:aws:kms:us-east-1:123456789012:alias/guardrail",
                KeyNaming::Alias,
            ),
            ("garbage", KeyNaming::Other),
            ("", KeyNaming::Other),
        ];
        for (reference, naming) in cases {
            assert_eq!(key.naming(reference), naming, "{reference:?}");
        }
    }

    #[test]
    fn a_usable_key_passes() {
        assert_eq!(check_usable(&usable_key(), "us-east-1"), Ok(()));
    }

    #[test]
    fn every_unusable_key_is_refused_with_its_reason() {
        let region = "us-east-1";
        type Spoil = fn(&mut KeyDescription);
        let cases: [(Spoil, &str); 8] = [
            (|k| k.state = "Disabled".into(), "key_not_enabled"),
            (|k| k.state = "PendingDeletion".into(), "key_not_enabled"),
            (|k| k.spec = Some("RSA_2048".into()), "key_not_symmetric"),
            (|k| k.spec = None, "key_not_symmetric"),
            (
                |k| k.usage = Some("SIGN_VERIFY".into()),
                "key_not_encrypt_decrypt",
            ),
            (|k| k.usage = None, "key_not_encrypt_decrypt"),
            (|k| k.manager = Some("AWS".into()), "key_aws_managed"),
            (
                |k| k.arn = ARN.replace("us-east-1", "eu-west-1"),
                "key_in_other_region",
            ),
        ];
        for (spoil, code) in cases {
            let mut key = usable_key();
            spoil(&mut key);
            let problem = check_usable(&key, region).err();
            assert_eq!(
                problem.as_ref().map(KeyProblem::code),
                Some(code),
                "{key:?}"
            );
        }
    }
}
