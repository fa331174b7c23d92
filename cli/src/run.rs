//! The run: whose credentials, which accounts and regions, and one read-only inspection per
//! catalog, with the guardrail's own [`inspect`]: both judge alike.

use crate::args::{Args, Expected};
use crate::aws::{AccountRegions, CallerIdentity};
use crate::report::{EXIT_INCOMPLETE, Row, RowError, exit_code, render_json, render_table};
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::SharedCredentialsProvider;
use glue_encryption_guardrail::adapters::clock::SystemClock;
use glue_encryption_guardrail::adapters::glue::GlueReader;
use glue_encryption_guardrail::adapters::kms::KmsKeys;
use glue_encryption_guardrail::adapters::retry_config;
use glue_encryption_guardrail::adapters::ssm::SsmParameters;
use glue_encryption_guardrail::app::error::GuardrailError;
use glue_encryption_guardrail::app::inspect::inspect;
use glue_encryption_guardrail::app::lookups::{CheckedKey, Lookups};
use glue_encryption_guardrail::core::key::{KeyDescription, KeyProblem, arn_region, check_usable};
use glue_encryption_guardrail::ports::{AwsError, KeyDirectory};
use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// The IAM role session name the audit uses, so CloudTrail shows who read the settings.
pub const SESSION_NAME: &str = "glue-encryption-audit";

/// The region ListRegions failed in has no name: its row says `*`.
pub const ALL_REGIONS: &str = "*";

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
    glue_encryption_guardrail::adapters::timeout_config()
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

/// Why the audit could not run at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("could not tell which account the credentials belong to: {0}")]
    WhoAmI(AwsError),
    #[error("neither --key-parameter nor --key was given: there is no expected key")]
    NoExpectedKey,
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

/// Inspects one account's catalog in one region. It holds only a reader of the catalog: no
/// code path here can write one.
async fn audit_catalog(sdk: SdkConfig, catalog: Catalog, expected: Expected) -> Row {
    let Catalog {
        partition,
        account,
        region,
        service_role,
    } = catalog;
    let catalog = GlueReader::new(aws_sdk_glue::Client::new(&sdk));
    let kms = KmsKeys::new(aws_sdk_kms::Client::new(&sdk));
    let parameter = match &expected {
        Expected::Parameter(name) => name.clone(),
        // Not read: the expected key comes from `given_key` instead.
        Expected::Key(_) => String::new(),
    };
    // One resolver per catalog, so nothing is cached across regions or accounts.
    let resolver = Lookups::new(
        SsmParameters::new(aws_sdk_ssm::Client::new(&sdk)),
        kms.clone(),
        parameter,
        region.clone(),
        Duration::from_secs(300),
        SystemClock,
    );
    let service_role = service_role
        .as_deref()
        .map(|name| role_arn(&partition, &account, name));
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

/// One catalog to audit: an account's, in a region of its partition.
struct Catalog {
    partition: String,
    account: String,
    region: String,
    /// The name of the role the catalog must name in service-role mode.
    service_role: Option<String>,
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
/// failure to find the operator's own identity stops the audit: everything else is a row,
/// even a task that panicked.
pub async fn audit(
    args: &Args,
    base: &SdkConfig,
    progress: &mut dyn Progress,
) -> Result<Vec<Row>, AuditError> {
    let expected = args.expected().ok_or(AuditError::NoExpectedKey)?;
    let (partition, targets) = targets(args, base).await?;
    let limit = Arc::new(Semaphore::new(usize::from(args.concurrency.max(1))));

    // The regions of each account: as given, or listed with the account's own credentials.
    let mut rows_by_account: Vec<Vec<Row>> = vec![Vec::new(); targets.len()];
    let mut regions: Vec<Vec<String>> = vec![dedup(&args.regions); targets.len()];
    if args.regions.is_empty() {
        progress.listing_regions(targets.len());
        let mut tasks = JoinSet::new();
        let mut accounts = HashMap::new();
        for (index, target) in targets.iter().enumerate() {
            let (sdk, limit) = (target.sdk.clone(), Arc::clone(&limit));
            let task = tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                AccountRegions::new(aws_sdk_account::Client::new(&sdk))
                    .enabled()
                    .await
            });
            accounts.insert(task.id(), index);
        }
        while let Some(joined) = tasks.join_next_with_id().await {
            let (index, listed) = match joined {
                Ok((id, listed)) => (
                    accounts.get(&id),
                    listed.map_err(|e| RowError::from(&GuardrailError::from(e))),
                ),
                Err(e) => (accounts.get(&e.id()), Err(task_failed(&e))),
            };
            let Some(&index) = index else { continue };
            match listed {
                Ok(listed) => regions[index] = listed,
                Err(error) => {
                    rows_by_account[index].push(Row::error(
                        &targets[index].account,
                        ALL_REGIONS,
                        error,
                    ));
                }
            }
        }
    }

    let total: usize = regions.iter().map(Vec::len).sum::<usize>()
        + rows_by_account.iter().map(Vec::len).sum::<usize>();
    let mut done = rows_by_account.iter().map(Vec::len).sum::<usize>();
    let mut tasks = JoinSet::new();
    let mut catalogs = HashMap::new();
    for (index, target) in targets.iter().enumerate() {
        for (position, region) in regions[index].iter().enumerate() {
            let sdk = target
                .sdk
                .to_builder()
                .region(Region::new(region.clone()))
                .build();
            let catalog = Catalog {
                partition: partition.clone(),
                account: target.account.clone(),
                region: region.clone(),
                service_role: args.service_role.clone(),
            };
            let (expected, limit) = (expected.clone(), Arc::clone(&limit));
            let task = tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                audit_catalog(sdk, catalog, expected).await
            });
            catalogs.insert(
                task.id(),
                (index, position, target.account.clone(), region.clone()),
            );
        }
    }
    let mut evaluated: Vec<(usize, usize, Row)> = Vec::with_capacity(total);
    while let Some(joined) = tasks.join_next_with_id().await {
        let Some((index, position, row)) = joined_row(joined, &mut catalogs) else {
            continue;
        };
        done += 1;
        progress.finished(done, total, &row);
        evaluated.push((index, position, row));
    }
    evaluated.sort_by_key(|(index, position, _)| (*index, *position));
    for (index, _, row) in evaluated {
        rows_by_account[index].push(row);
    }
    Ok(rows_by_account.into_iter().flatten().collect())
}

/// Where a catalog's row goes, and whose it is.
type Slot = (usize, usize, String, String);

/// The row of a finished task, in its slot: the task's own row, or an error row naming its
/// account and region when the task panicked.
fn joined_row(
    joined: Result<(tokio::task::Id, Row), tokio::task::JoinError>,
    slots: &mut HashMap<tokio::task::Id, Slot>,
) -> Option<(usize, usize, Row)> {
    let (id, outcome) = match joined {
        Ok((id, row)) => (id, Ok(row)),
        Err(e) => (e.id(), Err(task_failed(&e))),
    };
    let (index, position, account, region) = slots.remove(&id)?;
    let row = outcome.unwrap_or_else(|error| Row::error(&account, &region, error));
    Some((index, position, row))
}

/// The error row of a task that panicked or was cancelled.
fn task_failed(error: &tokio::task::JoinError) -> RowError {
    RowError {
        code: "task_failed".into(),
        message: format!("the evaluation stopped unexpectedly: {error}"),
        transient: true,
    }
}

/// The operator's partition (from their own identity, not guessed from a region), and the
/// accounts to audit: the operator's own, or each of `--accounts` through `--assume-role`.
async fn targets(args: &Args, base: &SdkConfig) -> Result<(String, Vec<Target>), AuditError> {
    let me = CallerIdentity::new(aws_sdk_sts::Client::new(base))
        .whoami()
        .await
        .map_err(AuditError::WhoAmI)?;
    let Some(role) = &args.assume_role else {
        let target = Target {
            account: me.account,
            sdk: base.clone(),
        };
        return Ok((me.partition, vec![target]));
    };
    let mut targets = Vec::with_capacity(args.accounts.len());
    for account in dedup(&args.accounts) {
        // STS is called in the operator's region; the provider is shared by every region of
        // the account, so the SDK's identity cache assumes the role once per account.
        let provider = AssumeRoleProvider::builder(role_arn(&me.partition, &account, role))
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
    Ok((me.partition, targets))
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
    use crate::report::Status;

    fn parse(line: &[&str]) -> Args {
        Args::try_parse_from(std::iter::once("glue-encryption-audit").chain(line.iter().copied()))
            .unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[tokio::test]
    async fn arguments_without_an_expected_key_stop_the_audit_before_any_call() {
        let mut args = parse(&["--key-parameter", "/p", "--regions", "us-east-1"]);
        args.key_parameter = None;
        // A configuration with no endpoint, region or credentials: a call would fail otherwise.
        let sdk = SdkConfig::builder().build();
        let result = audit(&args, &sdk, &mut Quiet).await;
        assert!(
            matches!(result, Err(AuditError::NoExpectedKey)),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn a_task_that_panics_is_an_error_row_and_the_others_keep_theirs() {
        let row = |region: &str| Row {
            account: "111111111111".into(),
            region: region.into(),
            status: Status::Compliant,
            settings: None,
            expected_key_arn: None,
            violations: Vec::new(),
            error: None,
        };
        let mut tasks = JoinSet::new();
        let mut slots = HashMap::new();
        let fine = row("us-east-1");
        let ok = tasks.spawn(async move { fine });
        slots.insert(ok.id(), (0, 0, "111111111111".into(), "us-east-1".into()));
        let broken = tasks.spawn(async { panic!("a bug") });
        slots.insert(
            broken.id(),
            (0, 1, "111111111111".into(), "eu-west-1".into()),
        );

        let mut rows = Vec::new();
        while let Some(joined) = tasks.join_next_with_id().await {
            rows.extend(joined_row(joined, &mut slots));
        }
        rows.sort_by_key(|(index, position, _)| (*index, *position));

        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].2, row("us-east-1"));
        let failed = &rows[1].2;
        assert_eq!(
            (failed.region.as_str(), failed.status),
            ("eu-west-1", Status::Error)
        );
        assert_eq!(
            failed.error.as_ref().map(|e| e.code.as_str()),
            Some("task_failed")
        );
    }
}
