//! AWS adapter: KMS, which resolves key references and says whether a key is usable.

use super::aws_error;
use crate::core::key::KeyDescription;
use crate::ports::AwsError;
use crate::ports::KeyDirectory;
use aws_sdk_kms::types::KeyMetadata;

const DESCRIBE: &str = "kms:DescribeKey";

#[derive(Debug, Clone)]
pub struct KmsKeys {
    client: aws_sdk_kms::Client,
}

impl KmsKeys {
    pub fn new(client: aws_sdk_kms::Client) -> Self {
        Self { client }
    }
}

impl KeyDirectory for KmsKeys {
    async fn describe_key(&self, reference: &str) -> Result<Option<KeyDescription>, AwsError> {
        let result = self.client.describe_key().key_id(reference).send().await;
        match result {
            Ok(output) => Ok(output.key_metadata().map(KeyDescription::from)),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(aws_error(DESCRIBE, e)),
        }
    }
}

impl From<&KeyMetadata> for KeyDescription {
    fn from(key: &KeyMetadata) -> Self {
        Self {
            arn: key.arn().unwrap_or_default().to_owned(),
            key_id: key.key_id().to_owned(),
            state: key.key_state().map_or("Unknown", |s| s.as_str()).to_owned(),
            spec: key.key_spec().map(|s| s.as_str().to_owned()),
            usage: key.key_usage().map(|u| u.as_str().to_owned()),
            manager: key.key_manager().map(|m| m.as_str().to_owned()),
        }
    }
}
