//! AWS adapter: SSM Parameter Store, where the expected key's ARN is kept.

use super::aws_error;
use crate::ports::AwsError;
use crate::ports::ParameterStore;

const GET: &str = "ssm:GetParameter";

#[derive(Debug, Clone)]
pub struct SsmParameters {
    client: aws_sdk_ssm::Client,
}

impl SsmParameters {
    pub fn new(client: aws_sdk_ssm::Client) -> Self {
        Self { client }
    }
}

impl ParameterStore for SsmParameters {
    async fn get_parameter(&self, name: &str) -> Result<Option<String>, AwsError> {
        // A key ARN is no secret: the parameter is a plain String, read without decryption,
        // so the function needs no kms:Decrypt on Parameter Store's key.
        let result = self.client.get_parameter().name(name).send().await;
        match result {
            Ok(output) => Ok(output
                .parameter()
                .and_then(|p| p.value())
                .map(str::to_owned)),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_parameter_not_found()) =>
            {
                Ok(None)
            }
            Err(e) => Err(aws_error(GET, e)),
        }
    }
}
