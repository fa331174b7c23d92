//! AWS adapter: the Glue Data Catalog's encryption settings.

use super::aws_error;
use crate::core::settings::{
    CatalogEncryptionMode, CatalogSettings, ConnectionPasswordEncryption, EncryptionAtRest,
    non_empty,
};
use crate::ports::{AwsError, AwsErrorKind};
use crate::ports::{CatalogReader, CatalogWriter};
use aws_sdk_glue::types as sdk;

const GET: &str = "glue:GetDataCatalogEncryptionSettings";
const PUT: &str = "glue:PutDataCatalogEncryptionSettings";

/// Reads the account's catalog settings in the client's region, and cannot write them: what
/// the read-only audit holds.
#[derive(Debug, Clone)]
pub struct GlueReader {
    client: aws_sdk_glue::Client,
}

impl GlueReader {
    pub fn new(client: aws_sdk_glue::Client) -> Self {
        Self { client }
    }
}

impl CatalogReader for GlueReader {
    async fn get_settings(&self) -> Result<CatalogSettings, AwsError> {
        let output = self
            .client
            .get_data_catalog_encryption_settings()
            .send()
            .await
            .map_err(|e| aws_error(GET, e))?;
        Ok(output
            .data_catalog_encryption_settings()
            .map(CatalogSettings::from)
            .unwrap_or_else(CatalogSettings::unencrypted))
    }
}

/// The account's catalog in the client's region, read and written. `CatalogId` is left out of
/// every request, so Glue uses the caller's own account: the guardrail cannot touch another
/// account's catalog.
#[derive(Debug, Clone)]
pub struct GlueCatalog {
    reader: GlueReader,
}

impl GlueCatalog {
    pub fn new(client: aws_sdk_glue::Client) -> Self {
        Self {
            reader: GlueReader::new(client),
        }
    }
}

impl CatalogReader for GlueCatalog {
    async fn get_settings(&self) -> Result<CatalogSettings, AwsError> {
        self.reader.get_settings().await
    }
}

impl CatalogWriter for GlueCatalog {
    async fn put_settings(&self, settings: &CatalogSettings) -> Result<(), AwsError> {
        let settings =
            sdk::DataCatalogEncryptionSettings::try_from(settings).map_err(|e| AwsError {
                action: PUT,
                kind: AwsErrorKind::Rejected,
                code: None,
                message: e.to_string(),
            })?;
        self.reader
            .client
            .put_data_catalog_encryption_settings()
            .data_catalog_encryption_settings(settings)
            .send()
            .await
            .map_err(|e| aws_error(PUT, e))?;
        Ok(())
    }
}

impl From<&sdk::DataCatalogEncryptionSettings> for CatalogSettings {
    fn from(settings: &sdk::DataCatalogEncryptionSettings) -> Self {
        let unencrypted = CatalogSettings::unencrypted();
        Self {
            encryption_at_rest: settings
                .encryption_at_rest()
                .map(EncryptionAtRest::from)
                .unwrap_or(unencrypted.encryption_at_rest),
            connection_password_encryption: settings
                .connection_password_encryption()
                .map(ConnectionPasswordEncryption::from)
                .unwrap_or(unencrypted.connection_password_encryption),
        }
    }
}

impl From<&sdk::EncryptionAtRest> for EncryptionAtRest {
    fn from(at_rest: &sdk::EncryptionAtRest) -> Self {
        Self {
            catalog_encryption_mode: CatalogEncryptionMode::parse(
                at_rest.catalog_encryption_mode().as_str(),
            ),
            sse_aws_kms_key_id: non_empty(at_rest.sse_aws_kms_key_id().map(str::to_owned)),
            catalog_encryption_service_role: non_empty(
                at_rest.catalog_encryption_service_role().map(str::to_owned),
            ),
        }
    }
}

impl From<&sdk::ConnectionPasswordEncryption> for ConnectionPasswordEncryption {
    fn from(passwords: &sdk::ConnectionPasswordEncryption) -> Self {
        Self {
            return_connection_password_encrypted: passwords.return_connection_password_encrypted(),
            aws_kms_key_id: non_empty(passwords.aws_kms_key_id().map(str::to_owned)),
        }
    }
}

impl TryFrom<&CatalogSettings> for sdk::DataCatalogEncryptionSettings {
    type Error = aws_sdk_glue::error::BuildError;

    fn try_from(settings: &CatalogSettings) -> Result<Self, Self::Error> {
        let at_rest = &settings.encryption_at_rest;
        let passwords = &settings.connection_password_encryption;
        Ok(Self::builder()
            .encryption_at_rest(
                sdk::EncryptionAtRest::builder()
                    .catalog_encryption_mode(sdk::CatalogEncryptionMode::from(
                        at_rest.catalog_encryption_mode.as_str(),
                    ))
                    .set_sse_aws_kms_key_id(at_rest.sse_aws_kms_key_id.clone())
                    .set_catalog_encryption_service_role(
                        at_rest.catalog_encryption_service_role.clone(),
                    )
                    .build()?,
            )
            .connection_password_encryption(
                sdk::ConnectionPasswordEncryption::builder()
                    .return_connection_password_encrypted(
                        passwords.return_connection_password_encrypted,
                    )
                    .set_aws_kms_key_id(passwords.aws_kms_key_id.clone())
                    .build(),
            )
            .build())
    }
}
