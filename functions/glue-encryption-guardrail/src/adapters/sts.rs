//! AWS adapter: STS, which says whose credentials these are. Used only by the audit CLI
//! (`cli` feature). `sts:GetCallerIdentity` needs no permission.

use super::aws_error;
use crate::error::{AwsError, AwsErrorKind};

const GET_CALLER_IDENTITY: &str = "sts:GetCallerIdentity";

#[derive(Debug, Clone)]
pub struct CallerIdentity {
    client: aws_sdk_sts::Client,
}

impl CallerIdentity {
    pub fn new(client: aws_sdk_sts::Client) -> Self {
        Self { client }
    }

    /// The account the credentials belong to.
    pub async fn account(&self) -> Result<String, AwsError> {
        let output = self
            .client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| aws_error(GET_CALLER_IDENTITY, e))?;
        output.account().map(str::to_owned).ok_or(AwsError {
            action: GET_CALLER_IDENTITY,
            kind: AwsErrorKind::Rejected,
            code: None,
            message: "the answer named no account".into(),
        })
    }
}
