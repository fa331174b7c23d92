//! AWS adapters: one per service, each wrapping its SDK client behind a port and converting
//! SDK types to domain types. SDK types stop here.

pub mod clock;
pub mod glue;
pub mod kms;
pub mod securityhub;
pub mod sns;
pub mod ssm;
pub mod stdout;

use crate::ports::{AwsError, AwsErrorKind};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use std::time::Duration;

/// Per attempt: Glue, SSM and KMS answer these calls in well under a second.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// Per call, retries included. A call that times out ends the invocation at once; a run of
/// calls that are each slow but answer is bounded by the handler's own deadline
/// (`handler::DEADLINE_MARGIN` before the function's 30 s timeout), so the failure is recorded
/// rather than cut off.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(4);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Attempts per call, the first included: throttling and 5xx are retried with jittered
/// exponential backoff by the SDK's standard retry strategy.
pub const MAX_ATTEMPTS: u32 = 3;

/// The guardrail's retry strategy: standard, with jittered exponential backoff.
pub fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(100))
}

/// The guardrail's timeouts, well inside the function's own.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// Applies the guardrail's retry and timeout settings to an SDK configuration.
pub fn configure(loader: aws_config::ConfigLoader) -> aws_config::ConfigLoader {
    loader
        .retry_config(retry_config())
        .timeout_config(timeout_config())
}

/// Error codes AWS services use for throttling.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
];

/// Error codes AWS services use for a missing permission.
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
];

/// Converts any SDK error into the domain's [`AwsError`], deciding whether it is transient
/// from the error code first and the HTTP status second (some services answer a denied call
/// with a bare 403 the SDK cannot parse).
pub fn aws_error<E>(action: &'static str, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.code().map(str::to_owned);
    let kind = match &err {
        SdkError::TimeoutError(_) => AwsErrorKind::Timeout,
        SdkError::DispatchFailure(failure) if failure.is_timeout() => AwsErrorKind::Timeout,
        SdkError::DispatchFailure(_) => AwsErrorKind::Unreachable,
        SdkError::ConstructionFailure(_) => AwsErrorKind::Rejected,
        _ => classify(code.as_deref(), status),
    };
    // Without a message from the service, describe the failure by its causes. Not with
    // `DisplayErrorContext`: it appends the error's debug form, which holds the raw response,
    // so a proxy's error page would be copied whole into the audit record.
    let message = err.message().map(str::to_owned).unwrap_or_else(|| {
        let causes = causes(&err);
        match status {
            Some(status) => format!("HTTP {status}, no error message: {causes}"),
            None => causes,
        }
    });
    AwsError {
        action,
        kind,
        code,
        message,
    }
}

/// An error and its sources, each by its `Display`, joined with `: `.
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn classify(code: Option<&str>, status: Option<u16>) -> AwsErrorKind {
    match (code, status) {
        (Some(code), _) if THROTTLING_CODES.contains(&code) => AwsErrorKind::Throttled,
        (Some(code), _) if ACCESS_DENIED_CODES.contains(&code) => AwsErrorKind::AccessDenied,
        (Some("OperationTimeoutException"), _) => AwsErrorKind::Timeout,
        (_, Some(429)) => AwsErrorKind::Throttled,
        (_, Some(403)) => AwsErrorKind::AccessDenied,
        (_, Some(500..=599)) => AwsErrorKind::ServerError,
        _ => AwsErrorKind::Rejected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_decide_before_status() {
        assert_eq!(
            classify(Some("ThrottlingException"), Some(400)),
            AwsErrorKind::Throttled
        );
        assert_eq!(
            classify(Some("AccessDeniedException"), Some(400)),
            AwsErrorKind::AccessDenied
        );
        assert_eq!(
            classify(Some("OperationTimeoutException"), Some(400)),
            AwsErrorKind::Timeout
        );
        assert_eq!(
            classify(Some("InvalidInputException"), Some(400)),
            AwsErrorKind::Rejected
        );
    }

    #[test]
    fn a_bare_status_still_classifies() {
        assert_eq!(classify(None, Some(403)), AwsErrorKind::AccessDenied);
        assert_eq!(classify(None, Some(429)), AwsErrorKind::Throttled);
        assert_eq!(classify(None, Some(503)), AwsErrorKind::ServerError);
        assert_eq!(
            classify(Some("InternalServiceException"), Some(500)),
            AwsErrorKind::ServerError
        );
        assert_eq!(classify(None, None), AwsErrorKind::Rejected);
    }
}
