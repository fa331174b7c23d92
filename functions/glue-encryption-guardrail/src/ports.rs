//! Ports: what the guardrail needs from the world, as small traits over domain types.
//! The AWS adapters implement them; the handler tests use in-memory fakes.

use crate::core::finding::Finding;
use crate::core::key::KeyDescription;
use crate::core::settings::CatalogSettings;
use crate::error::AwsError;
use std::future::Future;
use std::pin::Pin;

/// The account's Glue Data Catalog in this region.
pub trait CatalogStore {
    /// `glue:GetDataCatalogEncryptionSettings`.
    fn get_settings(&self) -> impl Future<Output = Result<CatalogSettings, AwsError>> + Send;
    /// `glue:PutDataCatalogEncryptionSettings`, always with both sub-settings.
    fn put_settings(
        &self,
        settings: &CatalogSettings,
    ) -> impl Future<Output = Result<(), AwsError>> + Send;
}

/// SSM Parameter Store.
pub trait ParameterStore {
    /// `ssm:GetParameter`: the value, or `None` when the parameter does not exist.
    fn get_parameter(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<String>, AwsError>> + Send;
}

/// KMS.
pub trait KeyDirectory {
    /// `kms:DescribeKey`: the key a reference names, or `None` when there is no such key.
    fn describe_key(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<KeyDescription>, AwsError>> + Send;
}

/// Where notifications go (SNS). Object-safe, since a deployment may have none.
pub trait Notifier: Send + Sync {
    /// `sns:Publish`.
    fn publish<'a>(
        &'a self,
        subject: &'a str,
        message: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + 'a>>;
}

/// Security Hub. Object-safe, since it is switched on by configuration.
pub trait FindingsHub: Send + Sync {
    /// `securityhub:GetFindings` for the finding `id` of `product_arn`: its `CreatedAt`, or
    /// `None` when there is no such finding yet.
    fn created_at<'a>(
        &'a self,
        product_arn: &'a str,
        id: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<String>, AwsError>> + Send + 'a>>;

    /// `securityhub:BatchImportFindings` of one finding: created, or updated by its id.
    fn import<'a>(
        &'a self,
        finding: &'a Finding,
    ) -> Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + 'a>>;
}

// Borrowed ports work too, so a caller can keep hold of what it lends the handler.

impl<T: CatalogStore + Sync> CatalogStore for &T {
    fn get_settings(&self) -> impl Future<Output = Result<CatalogSettings, AwsError>> + Send {
        (**self).get_settings()
    }
    fn put_settings(
        &self,
        settings: &CatalogSettings,
    ) -> impl Future<Output = Result<(), AwsError>> + Send {
        (**self).put_settings(settings)
    }
}

impl<T: ParameterStore + Sync> ParameterStore for &T {
    fn get_parameter(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<String>, AwsError>> + Send {
        (**self).get_parameter(name)
    }
}

impl<T: KeyDirectory + Sync> KeyDirectory for &T {
    fn describe_key(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<KeyDescription>, AwsError>> + Send {
        (**self).describe_key(reference)
    }
}

impl<T: Notifier> Notifier for &T {
    fn publish<'a>(
        &'a self,
        subject: &'a str,
        message: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + 'a>> {
        (**self).publish(subject, message)
    }
}

impl<T: FindingsHub + ?Sized> FindingsHub for std::sync::Arc<T> {
    fn created_at<'a>(
        &'a self,
        product_arn: &'a str,
        id: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<String>, AwsError>> + Send + 'a>> {
        (**self).created_at(product_arn, id)
    }

    fn import<'a>(
        &'a self,
        finding: &'a Finding,
    ) -> Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + 'a>> {
        (**self).import(finding)
    }
}

impl<T: FindingsHub> FindingsHub for &T {
    fn created_at<'a>(
        &'a self,
        product_arn: &'a str,
        id: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<String>, AwsError>> + Send + 'a>> {
        (**self).created_at(product_arn, id)
    }

    fn import<'a>(
        &'a self,
        finding: &'a Finding,
    ) -> Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + 'a>> {
        (**self).import(finding)
    }
}
