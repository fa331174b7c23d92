//! AWS adapters of the audit alone: whose credentials these are (STS), and which regions an
//! account has enabled (Account Management).

use aws_sdk_account::types::RegionOptStatus;
use glue_encryption_guardrail::adapters::aws_error;
use glue_encryption_guardrail::core::arn;
use glue_encryption_guardrail::ports::{AwsError, AwsErrorKind};

const GET_CALLER_IDENTITY: &str = "sts:GetCallerIdentity";
const LIST_REGIONS: &str = "account:ListRegions";

/// The operator, as STS sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    /// From the caller's own ARN: `aws`, `aws-cn`, `aws-us-gov`, …
    pub partition: String,
}

/// `sts:GetCallerIdentity`, which needs no permission.
#[derive(Debug, Clone)]
pub struct CallerIdentity {
    client: aws_sdk_sts::Client,
}

impl CallerIdentity {
    pub fn new(client: aws_sdk_sts::Client) -> Self {
        Self { client }
    }

    /// The account the credentials belong to, and their partition.
    pub async fn whoami(&self) -> Result<Identity, AwsError> {
        let output = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| aws_error(GET_CALLER_IDENTITY, e))?;
        let unreadable = |what: &str| AwsError {
            action: GET_CALLER_IDENTITY,
            kind: AwsErrorKind::Rejected,
            code: None,
            message: format!("the answer named no {what}"),
        };
        let account = output.account().ok_or_else(|| unreadable("account"))?;
        let partition = output
            .arn()
            .and_then(arn::partition)
            .ok_or_else(|| unreadable("ARN with a partition"))?;
        Ok(Identity {
            account: account.to_owned(),
            partition: partition.to_owned(),
        })
    }
}

/// The regions of the caller's own account.
#[derive(Debug, Clone)]
pub struct AccountRegions {
    client: aws_sdk_account::Client,
}

impl AccountRegions {
    pub fn new(client: aws_sdk_account::Client) -> Self {
        Self { client }
    }

    /// Every region enabled in the caller's account (opted in or enabled by default), in the
    /// order the service lists them, all pages read.
    pub async fn enabled(&self) -> Result<Vec<String>, AwsError> {
        let mut regions = Vec::new();
        let mut next_token = None;
        loop {
            let page = self
                .client
                .list_regions()
                .region_opt_status_contains(RegionOptStatus::Enabled)
                .region_opt_status_contains(RegionOptStatus::EnabledByDefault)
                .max_results(50)
                .set_next_token(next_token)
                .send()
                .await
                .map_err(|e| aws_error(LIST_REGIONS, e))?;
            regions.extend(
                page.regions()
                    .iter()
                    .filter_map(|r| r.region_name())
                    .map(str::to_owned),
            );
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                return Ok(regions);
            }
        }
    }
}
