//! Entrypoint layer: the read-only audit CLI, `glue-encryption-audit` (the `cli` feature).
//!
//! For every account × region asked for, it reads the catalog's encryption settings and judges
//! them with [`crate::inspect`], the same code the guardrail runs, then prints one row each.
//! It never writes: the only catalog it holds is a [`ReadOnlyCatalog`], whose write refuses
//! without sending anything.

use crate::adapters::account::AccountRegions;
use crate::adapters::glue::GlueCatalog;
use crate::adapters::kms::KmsKeys;
use crate::adapters::retry_config;
use crate::adapters::ssm::SsmParameters;
use crate::adapters::sts::CallerIdentity;
use crate::core::key::{KeyDescription, KeyProblem, KeyReferenceKind, arn_region, check_usable};
use crate::core::policy::Violation;
use crate::core::settings::CatalogSettings;
use crate::error::{AwsError, AwsErrorKind, GuardrailError};
use crate::inspect::{Incomplete, Inspection, inspect};
use crate::keys::{CheckedKey, KeyResolver, SystemClock};
use crate::ports::{CatalogStore, KeyDirectory};
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::SharedCredentialsProvider;
use clap::{ArgGroup, Parser};
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Every catalog evaluated is compliant.
pub const EXIT_COMPLIANT: u8 = 0;
/// At least one catalog is non-compliant, and every one was evaluated.
pub const EXIT_NON_COMPLIANT: u8 = 1;
/// At least one account or region could not be evaluated (or the audit could not start, or
/// the arguments were wrong). Takes precedence over 1: an unevaluated catalog may drift too.
pub const EXIT_INCOMPLETE: u8 = 2;

/// The IAM role session name the audit uses, so CloudTrail shows who read the settings.
pub const SESSION_NAME: &str = "glue-encryption-audit";

/// The region ListRegions failed in has no name: its row says `*`.
pub const ALL_REGIONS: &str = "*";

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
sts:AssumeRole and account:ListRegions are called, and gives the partition of the role ARNs;
without one, us-east-1.";

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
    if value.is_empty() || value.len() > 2048 || value.chars().any(char::is_whitespace) {
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
    if value.len() != 12 || !value.bytes().all(|b| b.is_ascii_digit()) {
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

/// The partition a region belongs to, for role ARNs.
pub fn partition(region: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 6] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-iso-", "aws-iso"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// The role to assume in `account`.
pub fn role_arn(partition: &str, account: &str, role: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{role}")
}

/// Per attempt and per call: more patient than the function's, since an operator's laptop may
/// be far from some regions.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// The audit's timeouts: the function's, made more patient.
pub fn timeout_config() -> TimeoutConfig {
    crate::adapters::timeout_config()
        .to_builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// The operator's SDK configuration: the default credential chain and region (the `--profile`
/// one when given), `--endpoint-url` when given, the guardrail's retry strategy, and the
/// audit's [`timeout_config`]. Without a region anywhere, us-east-1.
pub async fn load_sdk_config(args: &Args) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config())
        .timeout_config(timeout_config());
    if let Some(profile) = &args.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &args.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let sdk = loader.load().await;
    if sdk.region().is_some() {
        return sdk;
    }
    sdk.into_builder()
        .region(Region::from_static("us-east-1"))
        .build()
}

/// What the audit found for one catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Both settings use the expected key.
    Compliant,
    /// Evaluated, and something falls short of the policy.
    Drift,
    /// Could not be evaluated.
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compliant => "compliant",
            Self::Drift => "drift",
            Self::Error => "error",
        }
    }
}

/// Why a row could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The guardrail's stable error code (`parameter_not_found`, `access_denied`, ...).
    pub code: String,
    pub message: String,
    /// Whether running the audit again may succeed without anyone changing anything.
    pub transient: bool,
}

impl From<&GuardrailError> for RowError {
    fn from(e: &GuardrailError) -> Self {
        let message = match e {
            // The guardrail's wording speaks of its execution role; here it is the operator's.
            GuardrailError::Aws(aws) if aws.kind == AwsErrorKind::AccessDenied => format!(
                "{} was denied ({}): the credentials need {}: {}",
                aws.action,
                aws.code.as_deref().unwrap_or("no error code"),
                aws.action,
                aws.message
            ),
            other => other.to_string(),
        };
        Self {
            code: e.code().to_owned(),
            message,
            transient: e.is_transient(),
        }
    }
}

/// One catalog: an account's, in one region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub account: String,
    /// The region, or `*` when the account's regions could not be listed.
    pub region: String,
    pub status: Status,
    /// The settings as read, when they could be.
    pub settings: Option<CatalogSettings>,
    /// The key the catalog must use, when it was found.
    pub expected_key_arn: Option<String>,
    /// What falls short of the policy; empty unless `drift`.
    pub violations: Vec<Violation>,
    pub error: Option<RowError>,
}

impl Row {
    fn from_result(account: &str, region: &str, result: Result<Inspection, Incomplete>) -> Self {
        match result {
            Ok(inspection) => Self {
                account: account.to_owned(),
                region: region.to_owned(),
                status: if inspection.is_compliant() {
                    Status::Compliant
                } else {
                    Status::Drift
                },
                settings: Some(inspection.settings),
                expected_key_arn: Some(inspection.expected_key.key.arn),
                violations: inspection.violations,
                error: None,
            },
            Err(incomplete) => Self {
                account: account.to_owned(),
                region: region.to_owned(),
                status: Status::Error,
                settings: incomplete.settings,
                expected_key_arn: incomplete.expected_key.map(|k| k.arn),
                violations: Vec::new(),
                error: Some(RowError::from(&incomplete.error)),
            },
        }
    }

    fn failed(account: &str, region: &str, error: &GuardrailError) -> Self {
        Self {
            account: account.to_owned(),
            region: region.to_owned(),
            status: Status::Error,
            settings: None,
            expected_key_arn: None,
            violations: Vec::new(),
            error: Some(RowError::from(error)),
        }
    }
}

/// The exit code the rows call for: 2 if any row is an error (or there is none), else 1 if
/// any drifted, else 0.
pub fn exit_code(rows: &[Row]) -> u8 {
    if rows.is_empty() || rows.iter().any(|r| r.status == Status::Error) {
        EXIT_INCOMPLETE
    } else if rows.iter().any(|r| r.status == Status::Drift) {
        EXIT_NON_COMPLIANT
    } else {
        EXIT_COMPLIANT
    }
}

/// Why the audit could not run at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("could not tell which account the credentials belong to: {0}")]
    WhoAmI(AwsError),
    #[error("an audit task failed: {0}")]
    Task(String),
}

/// A catalog the audit can read and never write: its `put_settings` refuses without sending
/// anything, so no code path of the audit reaches `glue:PutDataCatalogEncryptionSettings`.
#[derive(Debug, Clone)]
pub struct ReadOnlyCatalog(GlueCatalog);

impl ReadOnlyCatalog {
    pub fn new(client: aws_sdk_glue::Client) -> Self {
        Self(GlueCatalog::new(client))
    }
}

impl CatalogStore for ReadOnlyCatalog {
    async fn get_settings(&self) -> Result<CatalogSettings, AwsError> {
        self.0.get_settings().await
    }

    async fn put_settings(&self, _settings: &CatalogSettings) -> Result<(), AwsError> {
        Err(AwsError {
            action: "glue:PutDataCatalogEncryptionSettings",
            kind: AwsErrorKind::Rejected,
            code: None,
            message: "the audit is read-only and never writes a catalog".into(),
        })
    }
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

    /// The expected key's source; clap makes sure exactly one is given.
    pub fn expected(&self) -> Expected {
        match (&self.key, &self.key_parameter) {
            (Some(key), _) => Expected::Key(key.clone()),
            (None, Some(name)) => Expected::Parameter(name.clone()),
            (None, None) => Expected::Parameter(String::new()),
        }
    }
}

/// The key `reference` names in `region`, checked usable like the parameter's key is.
async fn given_key(
    keys: &impl KeyDirectory,
    reference: &str,
    region: &str,
) -> Result<KeyDescription, GuardrailError> {
    if let Some(key_region) = arn_region(reference).filter(|r| *r != region) {
        return Err(GuardrailError::GivenKeyUnusable {
            arn: reference.to_owned(),
            problem: KeyProblem::OtherRegion {
                key_region: key_region.to_owned(),
                region: region.to_owned(),
            },
        });
    }
    let key =
        keys.describe_key(reference)
            .await?
            .ok_or_else(|| GuardrailError::GivenKeyNotFound {
                reference: reference.to_owned(),
            })?;
    check_usable(&key, region).map_err(|problem| GuardrailError::GivenKeyUnusable {
        arn: key.arn.clone(),
        problem,
    })?;
    Ok(key)
}

/// Evaluates one account's catalog in one region, read-only.
async fn evaluate(
    sdk: SdkConfig,
    account: String,
    region: String,
    expected: Expected,
    service_role: Option<String>,
) -> Row {
    let catalog = ReadOnlyCatalog::new(aws_sdk_glue::Client::new(&sdk));
    let kms = KmsKeys::new(aws_sdk_kms::Client::new(&sdk));
    let parameter = match &expected {
        Expected::Parameter(name) => name.clone(),
        // Not read: the expected key comes from `given_key` instead.
        Expected::Key(_) => String::new(),
    };
    // One resolver per catalog, so nothing is cached across regions or accounts.
    let resolver = KeyResolver::new(
        SsmParameters::new(aws_sdk_ssm::Client::new(&sdk)),
        kms.clone(),
        parameter,
        region.clone(),
        Duration::from_secs(300),
        SystemClock,
    );
    let service_role = service_role
        .as_deref()
        .map(|name| role_arn(partition(&region), &account, name));
    let service_role = service_role.as_deref();
    let result = match &expected {
        Expected::Parameter(_) => inspect(&catalog, resolver.expected_key(), service_role).await,
        Expected::Key(reference) => {
            let key = async {
                given_key(&kms, reference, &region)
                    .await
                    .map(|key| CheckedKey {
                        key,
                        checked_now: true,
                    })
            };
            inspect(&catalog, key, service_role).await
        }
    };
    Row::from_result(&account, &region, result)
}

/// One account to audit, and the credentials to do it with.
struct Target {
    account: String,
    sdk: SdkConfig,
}

/// Tells of progress: called once per finished evaluation, in the order they finish.
pub trait Progress {
    fn listing_regions(&mut self, _accounts: usize) {}
    fn finished(&mut self, done: usize, total: usize, row: &Row);
}

/// No progress reports.
pub struct Quiet;

impl Progress for Quiet {
    fn finished(&mut self, _done: usize, _total: usize, _row: &Row) {}
}

/// Progress lines on a writer (stderr): `[3/34] 111111111111 eu-west-1 drift`.
pub struct ProgressLines<W>(pub W);

impl<W: Write> Progress for ProgressLines<W> {
    fn listing_regions(&mut self, accounts: usize) {
        let _ = writeln!(
            self.0,
            "listing the enabled regions of {accounts} account(s) ..."
        );
    }

    fn finished(&mut self, done: usize, total: usize, row: &Row) {
        let _ = writeln!(
            self.0,
            "[{done}/{total}] {} {} {}",
            row.account,
            row.region,
            row.status.as_str()
        );
    }
}

/// Audits every account × region the arguments name and returns one row each, in the order
/// of the accounts and then of the regions (as given, or as ListRegions lists them). Only a
/// failure to find the operator's own account stops the audit: everything else is a row.
pub async fn audit(
    args: &Args,
    base: &SdkConfig,
    progress: &mut dyn Progress,
) -> Result<Vec<Row>, AuditError> {
    let targets = targets(args, base).await?;
    let limit = Arc::new(Semaphore::new(usize::from(args.concurrency.max(1))));

    // The regions of each account: as given, or listed with the account's own credentials.
    let mut rows_by_account: Vec<Vec<Row>> = vec![Vec::new(); targets.len()];
    let mut regions: Vec<Vec<String>> = vec![dedup(&args.regions); targets.len()];
    if args.regions.is_empty() {
        progress.listing_regions(targets.len());
        let mut tasks = JoinSet::new();
        for (index, target) in targets.iter().enumerate() {
            let (sdk, limit) = (target.sdk.clone(), Arc::clone(&limit));
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                let client = AccountRegions::new(aws_sdk_account::Client::new(&sdk));
                (index, client.enabled().await)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let (index, listed) = joined.map_err(|e| AuditError::Task(e.to_string()))?;
            match listed {
                Ok(listed) => {
                    if let Some(slot) = regions.get_mut(index) {
                        *slot = listed;
                    }
                }
                Err(e) => {
                    if let (Some(target), Some(rows)) =
                        (targets.get(index), rows_by_account.get_mut(index))
                    {
                        rows.push(Row::failed(&target.account, ALL_REGIONS, &e.into()));
                    }
                }
            }
        }
    }

    let expected = args.expected();
    let total: usize = regions.iter().map(Vec::len).sum::<usize>()
        + rows_by_account.iter().map(Vec::len).sum::<usize>();
    let mut done = rows_by_account.iter().map(Vec::len).sum::<usize>();
    let mut tasks = JoinSet::new();
    for (index, target) in targets.iter().enumerate() {
        for (position, region) in regions.get(index).into_iter().flatten().enumerate() {
            let sdk = target
                .sdk
                .to_builder()
                .region(Region::new(region.clone()))
                .build();
            let (account, region) = (target.account.clone(), region.clone());
            let (expected, limit) = (expected.clone(), Arc::clone(&limit));
            let service_role = args.service_role.clone();
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                (
                    index,
                    position,
                    evaluate(sdk, account, region, expected, service_role).await,
                )
            });
        }
    }
    let mut evaluated: Vec<(usize, usize, Row)> = Vec::with_capacity(total);
    while let Some(joined) = tasks.join_next().await {
        let (index, position, row) = joined.map_err(|e| AuditError::Task(e.to_string()))?;
        done += 1;
        progress.finished(done, total, &row);
        evaluated.push((index, position, row));
    }
    evaluated.sort_by_key(|(index, position, _)| (*index, *position));
    for (index, _, row) in evaluated {
        if let Some(rows) = rows_by_account.get_mut(index) {
            rows.push(row);
        }
    }
    Ok(rows_by_account.into_iter().flatten().collect())
}

/// The accounts to audit: the operator's own, or each of `--accounts` through `--assume-role`.
async fn targets(args: &Args, base: &SdkConfig) -> Result<Vec<Target>, AuditError> {
    let Some(role) = &args.assume_role else {
        let account = CallerIdentity::new(aws_sdk_sts::Client::new(base))
            .account()
            .await
            .map_err(AuditError::WhoAmI)?;
        return Ok(vec![Target {
            account,
            sdk: base.clone(),
        }]);
    };
    let partition = partition(base.region().map_or("us-east-1", |r| r.as_ref()));
    let mut targets = Vec::with_capacity(args.accounts.len());
    for account in dedup(&args.accounts) {
        // STS is called in the operator's region; the provider is shared by every region of
        // the account, so the SDK's identity cache assumes the role once per account.
        let provider = AssumeRoleProvider::builder(role_arn(partition, &account, role))
            .session_name(SESSION_NAME)
            .configure(base)
            .build()
            .await;
        let sdk = base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
        targets.push(Target { account, sdk });
    }
    Ok(targets)
}

/// `values` without repeats, in their first order.
fn dedup(values: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    values
        .iter()
        .filter(|v| seen.insert(v.as_str()))
        .cloned()
        .collect()
}

/// The rows as one JSON document: an array of rows with their full settings.
pub fn render_json(rows: &[Row]) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(rows)
}

/// The rows as an aligned table, a summary line, and each error's message.
pub fn render_table(rows: &[Row]) -> String {
    const HEADER: [&str; 7] = [
        "ACCOUNT",
        "REGION",
        "STATUS",
        "AT REST",
        "PASSWORDS",
        "KEY",
        "VIOLATIONS",
    ];
    let cells: Vec<[String; 7]> = rows.iter().map(cells).collect();
    let mut widths = HEADER.map(str::len);
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |row: [&str; 7]| {
        let mut text = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<width$}  "));
            }
        }
        text.trim_end().to_owned() + "\n"
    };
    let mut out = line(HEADER);
    for row in &cells {
        out.push_str(&line(row.each_ref().map(String::as_str)));
    }
    let count = |status| rows.iter().filter(|r| r.status == status).count();
    out.push_str(&format!(
        "\n{} catalog(s): {} compliant, {} drift, {} error\n",
        rows.len(),
        count(Status::Compliant),
        count(Status::Drift),
        count(Status::Error)
    ));
    let errors: Vec<_> = rows
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| (r, e)))
        .collect();
    if !errors.is_empty() {
        out.push_str("\nerrors:\n");
        for (row, error) in errors {
            out.push_str(&format!(
                "  {} {}: {}\n",
                row.account, row.region, error.message
            ));
        }
    }
    out
}

fn cells(row: &Row) -> [String; 7] {
    let dash = || "-".to_owned();
    let (at_rest, passwords, key) = match &row.settings {
        Some(s) => (
            s.encryption_at_rest
                .catalog_encryption_mode
                .as_str()
                .to_owned(),
            if s.connection_password_encryption
                .return_connection_password_encrypted
            {
                "encrypted".to_owned()
            } else {
                "plain".to_owned()
            },
            s.encryption_at_rest
                .sse_aws_kms_key_id
                .as_deref()
                .map_or_else(dash, |k| short_key(k, row)),
        ),
        None => (dash(), dash(), dash()),
    };
    let violations = match (&row.error, row.violations.is_empty()) {
        (Some(e), _) => format!("error: {}", e.code),
        (None, true) => dash(),
        (None, false) => {
            let codes: Vec<_> = row.violations.iter().map(|v| v.code()).collect();
            codes.join(",")
        }
    };
    [
        row.account.clone(),
        row.region.clone(),
        row.status.as_str().to_owned(),
        at_rest,
        passwords,
        key,
        violations,
    ]
}

/// A key or alias ARN of the row's own account and region, shortened to `key/…` or
/// `alias/…`; anything else as stored.
fn short_key(reference: &str, row: &Row) -> String {
    let own = format!(":kms:{}:{}:", row.region, row.account);
    match reference.split_once(&own) {
        Some((prefix, resource))
            if prefix.starts_with("arn:") && prefix.matches(':').count() == 1 =>
        {
            resource.to_owned()
        }
        _ => reference.to_owned(),
    }
}

/// Runs the audit as the binary does: the report on `out` (table or JSON), progress and
/// fatal errors on `err`. Returns the exit code.
pub async fn run(
    args: &Args,
    base: &SdkConfig,
    out: &mut dyn Write,
    err: &mut dyn Write,
    show_progress: bool,
) -> u8 {
    let rows = if show_progress {
        audit(args, base, &mut ProgressLines(&mut *err)).await
    } else {
        audit(args, base, &mut Quiet).await
    };
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => {
            let _ = writeln!(err, "glue-encryption-audit: {e}");
            return EXIT_INCOMPLETE;
        }
    };
    let report = if args.json {
        render_json(&rows).map(|json| json + "\n")
    } else {
        Ok(render_table(&rows))
    };
    match report.map(|text| out.write_all(text.as_bytes()).and_then(|()| out.flush())) {
        Ok(Ok(())) => exit_code(&rows),
        Ok(Err(e)) => {
            let _ = writeln!(
                err,
                "glue-encryption-audit: could not write the report: {e}"
            );
            EXIT_INCOMPLETE
        }
        Err(e) => {
            let _ = writeln!(
                err,
                "glue-encryption-audit: could not render the report: {e}"
            );
            EXIT_INCOMPLETE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::settings::{
        CatalogEncryptionMode, ConnectionPasswordEncryption, EncryptionAtRest,
    };

    const KEY: &str = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn parse(line: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("glue-encryption-audit").chain(line.iter().copied()))
    }

    fn row(region: &str, status: Status) -> Row {
        Row {
            account: "123456789012".into(),
            region: region.into(),
            status,
            settings: Some(CatalogSettings {
                encryption_at_rest: EncryptionAtRest {
                    catalog_encryption_mode: CatalogEncryptionMode::SseKms,
                    sse_aws_kms_key_id: Some(KEY.into()),
                    catalog_encryption_service_role: None,
                },
                connection_password_encryption: ConnectionPasswordEncryption {
                    return_connection_password_encrypted: true,
                    aws_kms_key_id: Some(KEY.into()),
                },
            }),
            expected_key_arn: Some(KEY.into()),
            violations: Vec::new(),
            error: None,
        }
    }

    #[test]
    fn exactly_one_source_of_the_expected_key_is_required() {
        assert!(parse(&["--regions", "us-east-1"]).is_err());
        assert!(parse(&["--key-parameter", "/p", "--key", "alias/k"]).is_err());
        assert_eq!(
            parse(&["--key", "alias/k"]).map(|a| a.expected()).ok(),
            Some(Expected::Key("alias/k".into()))
        );
        assert_eq!(
            parse(&["--key-parameter", "/p"]).map(|a| a.expected()).ok(),
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

    #[test]
    fn role_arns_take_the_partition_of_the_operators_region() {
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition("us-iso-east-1"), "aws-iso");
        assert_eq!(partition("us-isob-east-1"), "aws-iso-b");
        assert_eq!(
            role_arn("aws-cn", "111111111111", "Audit"),
            "arn:aws-cn:iam::111111111111:role/Audit"
        );
    }

    #[test]
    fn an_error_outranks_drift_which_outranks_compliance() {
        let (ok, drift, error) = (
            row("us-east-1", Status::Compliant),
            row("eu-west-1", Status::Drift),
            row("eu-west-2", Status::Error),
        );
        assert_eq!(exit_code(std::slice::from_ref(&ok)), EXIT_COMPLIANT);
        assert_eq!(exit_code(&[ok.clone(), drift.clone()]), EXIT_NON_COMPLIANT);
        assert_eq!(exit_code(&[ok, drift, error]), EXIT_INCOMPLETE);
        assert_eq!(exit_code(&[]), EXIT_INCOMPLETE);
    }

    #[test]
    fn the_table_shortens_the_rows_own_key_arns() {
        let mut other = row("us-east-1", Status::Drift);
        other.violations = vec![
            Violation::MetadataKeyNotExpected,
            Violation::PasswordKeyNotExpected,
        ];
        let table = render_table(&[row("eu-west-1", Status::Compliant), other]);
        let lines: Vec<&str> = table.lines().collect();
        assert!(
            lines[1].contains(" key/1234abcd-12ab-34cd-56ef-1234567890ab "),
            "{table}"
        );
        // a key of another region is shown whole: it is not the row's own
        assert!(lines[2].contains(KEY), "{table}");
        assert!(
            lines[2].ends_with("metadata_key_not_expected,password_key_not_expected"),
            "{table}"
        );
        assert!(
            table.contains("2 catalog(s): 1 compliant, 1 drift, 0 error"),
            "{table}"
        );
    }

    #[tokio::test]
    async fn the_read_only_catalog_refuses_to_write_without_a_request() {
        // A client with no endpoint, region or credentials: any request would fail differently.
        let config = aws_sdk_glue::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .build();
        let catalog = ReadOnlyCatalog::new(aws_sdk_glue::Client::from_conf(config));
        let err = catalog
            .put_settings(&CatalogSettings::unencrypted())
            .await
            .err();
        assert_eq!(
            err.map(|e| e.message),
            Some("the audit is read-only and never writes a catalog".to_owned())
        );
    }
}
