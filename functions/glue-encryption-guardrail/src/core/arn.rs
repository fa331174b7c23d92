//! Pure core: AWS account ids, and the parts of an ARN the guardrail reads
//! (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`).

/// A 12-digit AWS account id.
pub fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The account id in an ARN, when it has a well-formed one.
pub fn account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| is_account_id(a))
}

/// The partition of an ARN (`aws`, `aws-cn`, `aws-us-gov`, …).
pub fn partition(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next() == Some("arn"))
        .then(|| parts.next())
        .flatten()
        .filter(|p| !p.is_empty())
}

/// An IAM role ARN: `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.
pub fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(
        parts.as_slice(),
        ["arn", partition, "iam", "", account, resource]
            if !partition.is_empty()
                && is_account_id(account)
                && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_twelve_digits() {
        assert!(is_account_id("123456789012"));
        for bad in ["12345678901", "1234567890123", "12345678901a", ""] {
            assert!(!is_account_id(bad), "{bad}");
        }
    }

    #[test]
    fn arn_parts_are_read_only_when_well_formed() {
        let role = "arn:aws-cn:iam::123456789012:role/path/Guardrail";
        assert_eq!(account(role), Some("123456789012"));
        assert_eq!(partition(role), Some("aws-cn"));
        assert!(is_role_arn(role));
        assert_eq!(account("arn:aws:iam::1234:role/x"), None);
        assert_eq!(partition("not-an-arn"), None);
        for bad in [
            "arn:aws:iam::123456789012:user/bob",
            "arn:aws:iam::123456789012:role/",
            "Guardrail",
            "arn::iam::123456789012:role/x",
        ] {
            assert!(!is_role_arn(bad), "{bad}");
        }
    }
}
