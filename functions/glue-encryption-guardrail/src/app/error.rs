//! Application: the errors that end an invocation. Each knows its stable code and whether a retry can help.

use crate::core::key::KeyProblem;
use crate::core::policy::{Violation, codes};
use crate::core::record::ErrorSummary;
use crate::ports::{AwsError, AwsErrorKind};

/// Why an invocation failed. A failure writes nothing to the catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardrailError {
    #[error("SSM parameter {name} does not exist; it must hold the ARN of the catalog's KMS key")]
    ParameterNotFound { name: String },
    #[error("SSM parameter {name} is empty; it must hold the ARN of the catalog's KMS key")]
    ParameterEmpty { name: String },
    #[error(
        "SSM parameter {name} holds {value:?}, which is not a KMS key id, key ARN, alias name or alias ARN"
    )]
    ParameterNotKeyReference { name: String, value: String },
    #[error("KMS key {reference} (from SSM parameter {parameter}) does not exist")]
    KeyNotFound {
        reference: String,
        parameter: String,
    },
    #[error("KMS key {arn} (from SSM parameter {parameter}) cannot protect the catalog: {problem}")]
    KeyUnusable {
        arn: String,
        parameter: String,
        problem: KeyProblem,
    },
    #[error("KMS key {reference} (given with --key) does not exist in this region")]
    GivenKeyNotFound { reference: String },
    #[error("KMS key {arn} (given with --key) cannot protect the catalog: {problem}")]
    GivenKeyUnusable { arn: String, problem: KeyProblem },
    #[error("{0}")]
    Aws(AwsError),
    #[error(
        "the invocation ran out of time after {budget:?}, before Lambda's deadline; nothing more was done"
    )]
    OutOfTime { budget: std::time::Duration },
    #[error("the settings read back after the write still violate the policy ({}); another writer may have changed them concurrently", codes(.violations))]
    VerificationFailed { violations: Vec<Violation> },
}

impl GuardrailError {
    /// A stable code for the audit record, metrics and Lambda's `errorType`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ParameterNotFound { .. } => "parameter_not_found",
            Self::ParameterEmpty { .. } => "parameter_empty",
            Self::ParameterNotKeyReference { .. } => "parameter_not_key_reference",
            Self::KeyNotFound { .. } | Self::GivenKeyNotFound { .. } => "key_not_found",
            Self::KeyUnusable { problem, .. } | Self::GivenKeyUnusable { problem, .. } => {
                problem.code()
            }
            Self::Aws(e) => match e.kind {
                AwsErrorKind::Throttled => "aws_throttled",
                AwsErrorKind::ServerError => "aws_server_error",
                AwsErrorKind::Timeout => "aws_timeout",
                AwsErrorKind::Unreachable => "aws_unreachable",
                AwsErrorKind::AccessDenied => "access_denied",
                AwsErrorKind::Rejected => "aws_rejected",
            },
            Self::VerificationFailed { .. } => "verification_failed",
            Self::OutOfTime { .. } => "out_of_time",
        }
    }

    /// Whether a retry can succeed without anyone changing anything. Lambda retries failed
    /// asynchronous invocations either way; this tells the operator what to expect.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Aws(e) => e.kind.is_transient(),
            // A concurrent writer: the next evaluation settles it.
            Self::VerificationFailed { .. } => true,
            // Slow calls: a retry may be faster.
            Self::OutOfTime { .. } => true,
            _ => false,
        }
    }
}

impl From<AwsError> for GuardrailError {
    fn from(e: AwsError) -> Self {
        Self::Aws(e)
    }
}

impl From<GuardrailError> for lambda_runtime::Diagnostic {
    fn from(e: GuardrailError) -> Self {
        Self {
            error_type: e.code().to_owned(),
            error_message: e.to_string(),
        }
    }
}

impl From<&GuardrailError> for ErrorSummary {
    fn from(e: &GuardrailError) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
            transient: e.is_transient(),
        }
    }
}
