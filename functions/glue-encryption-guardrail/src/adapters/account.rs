//! AWS adapter: the Account Management API, which lists the regions enabled in an account.
//! Used only by the audit CLI (`cli` feature).

use super::aws_error;
use crate::error::AwsError;
use aws_sdk_account::types::RegionOptStatus;

const LIST_REGIONS: &str = "account:ListRegions";

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
