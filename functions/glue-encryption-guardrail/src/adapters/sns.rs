//! AWS adapter: SNS, which tells people what the guardrail did.

use super::aws_error;
use crate::ports::AwsError;
use crate::ports::Notifier;
use std::future::Future;
use std::pin::Pin;

const PUBLISH: &str = "sns:Publish";
/// SNS caps e-mail subjects at 100 characters.
const MAX_SUBJECT_CHARS: usize = 100;

#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl SnsNotifier {
    pub fn new(client: aws_sdk_sns::Client, topic_arn: String) -> Self {
        Self { client, topic_arn }
    }
}

impl Notifier for SnsNotifier {
    fn publish<'a>(
        &'a self,
        subject: &'a str,
        message: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), AwsError>> + Send + 'a>> {
        Box::pin(async move {
            let subject: String = subject.chars().take(MAX_SUBJECT_CHARS).collect();
            self.client
                .publish()
                .topic_arn(&self.topic_arn)
                .subject(subject)
                .message(message)
                .send()
                .await
                .map_err(|e| aws_error(PUBLISH, e))?;
            Ok(())
        })
    }
}
