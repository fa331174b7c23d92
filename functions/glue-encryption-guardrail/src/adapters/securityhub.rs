//! AWS adapter: Security Hub, where the catalog's verdict is kept as one finding.

use super::aws_error;
use crate::core::finding::{Finding, SCHEMA_VERSION};
use crate::ports::FindingsHub;
use crate::ports::{AwsError, AwsErrorKind};
use aws_sdk_securityhub::types as sdk;
use std::future::Future;
use std::pin::Pin;

const GET: &str = "securityhub:GetFindings";
const IMPORT: &str = "securityhub:BatchImportFindings";

#[derive(Debug, Clone)]
pub struct SecurityHubFindings {
    client: aws_sdk_securityhub::Client,
}

impl SecurityHubFindings {
    pub fn new(client: aws_sdk_securityhub::Client) -> Self {
        Self { client }
    }
}

impl FindingsHub for SecurityHubFindings {
    fn created_at<'a>(
        &'a self,
        product_arn: &'a str,
        id: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<Option<String>, AwsError>> + Send + 'a>> {
        Box::pin(async move {
            let equals = |value: &str| {
                sdk::StringFilter::builder()
                    .value(value)
                    .comparison(sdk::StringFilterComparison::Equals)
                    .build()
            };
            let output = self
                .client
                .get_findings()
                .filters(
                    sdk::AwsSecurityFindingFilters::builder()
                        .product_arn(equals(product_arn))
                        .id(equals(id))
                        .build(),
                )
                .send()
                .await
                .map_err(|e| aws_error(GET, e))?;
            // The filter names one finding; the id is checked again all the same.
            Ok(output
                .findings()
                .iter()
                .find(|f| f.id() == Some(id))
                .and_then(|f| f.created_at())
                .map(str::to_owned))
        })
    }

    fn import<'a>(
        &'a self,
        finding: &'a Finding,
    ) -> Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + 'a>> {
        Box::pin(async move {
            let output = self
                .client
                .batch_import_findings()
                .findings(sdk::AwsSecurityFinding::from(finding))
                .send()
                .await
                .map_err(|e| aws_error(IMPORT, e))?;
            // A refused finding is reported in the body of a successful answer: Security Hub
            // not enabled in the account and region, for one, is `InvalidAccess` there.
            match output.failed_findings().first() {
                None if output.failed_count().unwrap_or(0) == 0 => Ok(()),
                failed => {
                    let code = failed.and_then(|f| f.error_code()).map(str::to_owned);
                    let kind = match code.as_deref() {
                        Some("InvalidAccess" | "AccessDenied" | "AccessDeniedException") => {
                            AwsErrorKind::AccessDenied
                        }
                        _ => AwsErrorKind::Rejected,
                    };
                    Err(AwsError {
                        action: IMPORT,
                        kind,
                        code,
                        message: failed
                            .and_then(|f| f.error_message())
                            .unwrap_or("the finding was not imported")
                            .to_owned(),
                    })
                }
            }
        })
    }
}

impl From<&Finding> for sdk::AwsSecurityFinding {
    fn from(f: &Finding) -> Self {
        let mut builder = Self::builder()
            .schema_version(SCHEMA_VERSION)
            .id(&f.id)
            .product_arn(&f.product_arn)
            .generator_id(f.generator_id)
            .aws_account_id(&f.aws_account_id)
            .title(f.title)
            .description(&f.description)
            .created_at(&f.created_at)
            .first_observed_at(&f.first_observed_at)
            .updated_at(&f.updated_at)
            .last_observed_at(&f.last_observed_at)
            .severity(
                sdk::Severity::builder()
                    .label(sdk::SeverityLabel::from(f.severity))
                    .build(),
            )
            // The top-level Severity and Types are required to create a finding; an update
            // carries them here, as AWS asks of finding providers, and Security Hub applies them
            // to the top level unless someone changed it with BatchUpdateFindings
            // (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_FindingProviderFields.html).
            .finding_provider_fields(
                sdk::FindingProviderFields::builder()
                    .severity(
                        sdk::FindingProviderSeverity::builder()
                            .label(sdk::SeverityLabel::from(f.severity))
                            .build(),
                    )
                    .set_types(Some(f.types.iter().map(|t| (*t).to_owned()).collect()))
                    .build(),
            )
            .compliance(
                sdk::Compliance::builder()
                    .status(sdk::ComplianceStatus::from(f.compliance))
                    .build(),
            )
            .record_state(sdk::RecordState::Active)
            .remediation(
                sdk::Remediation::builder()
                    .recommendation(
                        sdk::Recommendation::builder()
                            .text(f.remediation_text)
                            .url(f.remediation_url)
                            .build(),
                    )
                    .build(),
            )
            .resources(
                sdk::Resource::builder()
                    .r#type(f.resource_type)
                    .id(&f.resource_id)
                    .partition(sdk::Partition::from(f.partition.as_str()))
                    .region(&f.region)
                    .build(),
            );
        for finding_type in &f.types {
            builder = builder.types(*finding_type);
        }
        for (name, value) in &f.product_fields {
            builder = builder.product_fields(name, value);
        }
        builder.build()
    }
}
