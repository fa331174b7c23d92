//! The command line: what to audit, against which key, and how to show it.

use clap::{ArgGroup, Parser};
use glue_encryption_guardrail::app::config::is_parameter_name;
use glue_encryption_guardrail::core::arn::is_account_id;
use glue_encryption_guardrail::core::key::KeyReferenceKind;

const LONG_ABOUT: &str = "\
Audits the AWS Glue Data Catalog encryption settings of every region given (default: every
region enabled in the account), with the same policy code the guardrail function runs: metadata
must be encrypted at rest with the expected customer managed KMS key, and connection passwords
too.

READ-ONLY: it calls glue:GetDataCatalogEncryptionSettings, ssm:GetParameter, kms:DescribeKey,
account:ListRegions, sts:GetCallerIdentity and sts:AssumeRole, and nothing else. It never calls
glue:PutDataCatalogEncryptionSettings: it cannot change a catalog. Run it before a rollout to see
what the guardrail will change, and after to check that it did.

CREDENTIALS: the default chain (environment, web identity, the shared config and credentials
files' static keys and role profiles, container and instance roles), plus SSO profiles (after
`aws sso login`). Not built in: credential_process and `aws login` profiles; for those, export
the credentials first (aws configure export-credentials --format env). Choose a profile with
--profile or AWS_PROFILE. The operator's region (AWS_REGION or the profile's) is where
sts:GetCallerIdentity, sts:AssumeRole and account:ListRegions are called; without one,
us-east-1. The partition of the role ARNs is the operator's own, from GetCallerIdentity.";

const AFTER_HELP: &str = "\
EXIT CODES:
  0  every catalog evaluated is compliant
  1  at least one catalog is non-compliant (drift), and every region was evaluated
  2  at least one account or region could not be evaluated (an error row: a missing parameter,
     an unusable key, a denied call...), or the audit could not start; 2 wins over 1

EXAMPLES:
  glue-encryption-audit --key-parameter /glue-encryption-guardrail/kms-key-arn
  glue-encryption-audit --key alias/glue-catalog --regions us-east-1,eu-west-1 --json
  glue-encryption-audit --key-parameter /glue-encryption-guardrail/kms-key-arn \\
      --assume-role OrganizationAuditRole --accounts 111111111111,222222222222";

/// The command line.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "glue-encryption-audit",
    version,
    about = "Read-only audit of Glue Data Catalog encryption in many regions and accounts (never writes)",
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP,
    group(ArgGroup::new("expected").required(true).args(["key_parameter", "key"])),
)]
pub struct Args {
    /// The SSM parameter that holds the expected key in each region, as the guardrail reads it
    /// (the stack's KmsKeyParameterName). A region without it is an error row.
    #[arg(long, value_name = "NAME", value_parser = parameter_name)]
    pub key_parameter: Option<String>,

    /// The expected key itself, instead of --key-parameter: a key ARN, key id, alias name or
    /// alias ARN, resolved in each region with kms:DescribeKey. A key ARN names one region's
    /// key: to audit several regions, give an alias that exists in each.
    #[arg(long, value_name = "KEYREF", value_parser = key_reference)]
    pub key: Option<String>,

    /// The catalogs must be in SSE-KMS-WITH-SERVICE-ROLE with the role of this name (or
    /// path/name) in each account, as the guardrail's CatalogServiceRoleName makes them.
    /// Without it, in SSE-KMS with no role.
    #[arg(long, value_name = "NAME", value_parser = role_name)]
    pub service_role: Option<String>,

    /// Regions to audit, comma-separated. Default: every region enabled in each account
    /// (account:ListRegions).
    #[arg(long, value_name = "REGION,...", value_delimiter = ',', value_parser = region_name)]
    pub regions: Vec<String>,

    /// Audit the accounts in --accounts by assuming the role
    /// arn:PARTITION:iam::ACCOUNT:role/NAME in each. Without it, the credentials' own account.
    #[arg(long, value_name = "NAME", requires = "accounts", value_parser = role_name)]
    pub assume_role: Option<String>,

    /// Accounts to audit with --assume-role, comma-separated 12-digit ids.
    #[arg(
        long,
        value_name = "ACCOUNT,...",
        value_delimiter = ',',
        requires = "assume_role",
        value_parser = account_id
    )]
    pub accounts: Vec<String>,

    /// How many account × region evaluations run at once.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 8,
        value_parser = clap::value_parser!(u16).range(1..=256)
    )]
    pub concurrency: u16,

    /// Print one JSON document (an array of rows with the full settings) instead of the table.
    #[arg(long)]
    pub json: bool,

    /// Show progress on stderr even when it is not a terminal.
    #[arg(long)]
    pub progress: bool,

    /// The shared config profile to use (default: AWS_PROFILE, or the default profile).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Send every AWS call to this endpoint, e.g. a local emulator. AWS_ENDPOINT_URL does the
    /// same.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

fn parameter_name(value: &str) -> Result<String, String> {
    if !is_parameter_name(value) {
        return Err("an SSM parameter name or ARN (no spaces, at most 2048 characters)".into());
    }
    Ok(value.to_owned())
}

fn key_reference(value: &str) -> Result<String, String> {
    KeyReferenceKind::of(value)
        .map(|_| value.to_owned())
        .ok_or_else(|| "a KMS key ARN, key id, alias name (alias/NAME) or alias ARN".into())
}

fn region_name(value: &str) -> Result<String, String> {
    let value = value.trim();
    let well_formed = !value.is_empty()
        && value.len() <= 32
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !well_formed {
        return Err("a region name such as us-east-1".into());
    }
    Ok(value.to_owned())
}

fn account_id(value: &str) -> Result<String, String> {
    let value = value.trim();
    if !is_account_id(value) {
        return Err("a 12-digit AWS account id".into());
    }
    Ok(value.to_owned())
}

fn role_name(value: &str) -> Result<String, String> {
    let well_formed = !value.is_empty()
        && !value.starts_with("arn:")
        && value.len() <= 512
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'+' | b'=' | b',' | b'.' | b'@' | b'_' | b'-' | b'/')
        });
    if !well_formed {
        return Err("a role name (or path/name), not its ARN: the ARN is made per account".into());
    }
    Ok(value.to_owned())
}

/// Where the expected key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// This SSM parameter, in each region, as the guardrail reads it.
    Parameter(String),
    /// This key reference, resolved in each region.
    Key(String),
}

impl Args {
    /// Parses a command line (the program name first), as the binary does; callers need not
    /// depend on clap.
    pub fn try_parse_from<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        <Self as Parser>::try_parse_from(args)
    }

    /// The expected key's source. The command line always gives exactly one (clap checks);
    /// `None` when arguments built otherwise give neither.
    pub fn expected(&self) -> Option<Expected> {
        match (&self.key, &self.key_parameter) {
            (Some(key), _) => Some(Expected::Key(key.clone())),
            (None, Some(name)) => Some(Expected::Parameter(name.clone())),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("glue-encryption-audit").chain(line.iter().copied()))
    }

    #[test]
    fn exactly_one_source_of_the_expected_key_is_required() {
        assert!(parse(&["--regions", "us-east-1"]).is_err());
        assert!(parse(&["--key-parameter", "/p", "--key", "alias/k"]).is_err());
        assert_eq!(
            parse(&["--key", "alias/k"]).ok().and_then(|a| a.expected()),
            Some(Expected::Key("alias/k".into()))
        );
        assert_eq!(
            parse(&["--key-parameter", "/p"])
                .ok()
                .and_then(|a| a.expected()),
            Some(Expected::Parameter("/p".into()))
        );
    }
    #[test]
    fn lists_are_comma_separated_and_checked() {
        let args = parse(&[
            "--key-parameter",
            "/p",
            "--regions",
            "us-east-1,eu-west-1",
            "--assume-role",
            "Audit",
            "--accounts",
            "111111111111,222222222222",
        ]);
        let args = args.ok();
        assert_eq!(
            args.as_ref().map(|a| a.regions.clone()),
            Some(vec!["us-east-1".to_owned(), "eu-west-1".to_owned()])
        );
        assert_eq!(args.map(|a| a.accounts.len()), Some(2));
        for bad in [
            vec!["--regions", "US East"],
            vec!["--key", "my-key"],
            vec!["--assume-role", "Audit", "--accounts", "1234"],
            vec![
                "--assume-role",
                "arn:aws:iam::111111111111:role/Audit",
                "--accounts",
                "111111111111",
            ],
            vec!["--concurrency", "0"],
        ] {
            let mut line = vec!["--key-parameter", "/p"];
            line.extend(bad.iter().copied());
            assert!(parse(&line).is_err(), "{bad:?}");
        }
    }
    #[test]
    fn accounts_and_the_role_go_together() {
        assert!(parse(&["--key-parameter", "/p", "--accounts", "111111111111"]).is_err());
        assert!(parse(&["--key-parameter", "/p", "--assume-role", "Audit"]).is_err());
    }
    #[test]
    fn help_says_it_never_writes_and_gives_the_exit_codes() {
        let help = <Args as clap::CommandFactory>::command()
            .render_long_help()
            .to_string();
        assert!(
            help.contains("never calls\nglue:PutDataCatalogEncryptionSettings"),
            "{help}"
        );
        assert!(help.contains("EXIT CODES"), "{help}");
        assert!(help.contains("Not built in: credential_process"), "{help}");
        <Args as clap::CommandFactory>::command().debug_assert();
    }
}
