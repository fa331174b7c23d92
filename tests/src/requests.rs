//! The AWS requests the guardrail makes in the emulator scenarios, as IAM authorizes them: an
//! action and a resource ARN (and the context a condition may read). Each [`Emulator`] keeps a
//! [`RequestLog`] that its guardrails' SDK clients report to, and writes it, when the emulator
//! is dropped, to `target/policy-requests/`. There `scripts/check-policies.sh` resolves
//! template.yaml for the same account, region, stack name and parameters, and checks that the
//! function role's policy, as deployed, allows every request: moto enforces no IAM at all.
//!
//! A scenario that points the guardrail at something a deployed stack cannot hold (another
//! key, a topic of another name) is a test of failure handling, not of the deployment: the
//! emulator records only when the scenario seeded the stack's own key.

use crate::{ACCOUNT, REGION, STACK_NAME};
use aws_sdk_glue::config::interceptors::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_glue::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Numbers the files a test process writes, so that two emulators of one test never share one.
static FILES: AtomicUsize = AtomicUsize::new(0);

/// One request as IAM sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Request {
    pub action: String,
    pub resource: String,
    pub context: BTreeMap<String, String>,
}

/// The template parameters a guardrail was configured like: requests are checked against the
/// template resolved with them.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deployment {
    pub parameters: BTreeMap<String, String>,
}

#[derive(Debug, Default)]
struct Log {
    /// The key the scenario seeded as the stack's; without one nothing is written.
    stack_key: Option<String>,
    requests: BTreeMap<Deployment, BTreeSet<Request>>,
}

/// Where an emulator's guardrails report their requests.
#[derive(Debug, Clone, Default)]
pub struct RequestLog(Arc<Mutex<Log>>);

impl RequestLog {
    /// The key the scenario's stack holds (what `CatalogKey.Arn` resolves to).
    pub fn set_stack_key(&self, arn: &str) {
        if let Ok(mut log) = self.0.lock() {
            log.stack_key = Some(arn.to_owned());
        }
    }

    /// An interceptor that records the requests of clients configured as `deployment`.
    pub fn recorder(&self, deployment: Deployment) -> Recorder {
        Recorder {
            log: self.clone(),
            deployment,
        }
    }

    fn record(&self, deployment: &Deployment, request: Request) {
        if let Ok(mut log) = self.0.lock() {
            log.requests
                .entry(deployment.clone())
                .or_default()
                .insert(request);
        }
    }

    /// Every request recorded, whatever the deployment.
    pub fn requests(&self) -> BTreeSet<Request> {
        self.0
            .lock()
            .map(|log| log.requests.values().flatten().cloned().collect())
            .unwrap_or_default()
    }

    /// Writes one file per deployment to `target/policy-requests/`, named after the test.
    /// Nothing when the scenario seeded no stack key or made no request.
    pub fn write(&self, scenario: &str) -> std::io::Result<()> {
        let Ok(log) = self.0.lock() else {
            return Ok(());
        };
        let Some(key) = &log.stack_key else {
            return Ok(());
        };
        let dir = target_dir().join("policy-requests");
        std::fs::create_dir_all(&dir)?;
        for (deployment, requests) in &log.requests {
            let document = json!({
                "scenario": scenario,
                "account": ACCOUNT,
                "region": REGION,
                "stack_name": STACK_NAME,
                "parameters": deployment.parameters,
                "attributes": { "CatalogKey.Arn": key },
                "requests": requests.iter().map(|r| json!({
                    "action": r.action,
                    "resource": r.resource,
                    "context": r.context,
                })).collect::<Vec<Value>>(),
            });
            let name: String = scenario
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let index = FILES.fetch_add(1, Ordering::Relaxed);
            let path = dir.join(format!("{name}-{}-{index}.json", std::process::id()));
            std::fs::write(path, serde_json::to_vec_pretty(&document)?)?;
        }
        Ok(())
    }
}

/// `target/`, or `CARGO_TARGET_DIR`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace().join("target"))
}

/// The SDK interceptor that reports each call of one client to a [`RequestLog`].
#[derive(Debug, Clone)]
pub struct Recorder {
    log: RequestLog,
    deployment: Deployment,
}

/// The requests one call makes, worked out from its input before it is sent.
#[derive(Debug, Clone)]
struct Pending(Vec<Request>);

impl Storable for Pending {
    type Storer = StoreReplace<Self>;
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "RequestRecorder"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Ok(());
        };
        let action = format!(
            "{}:{}",
            metadata.service().to_ascii_lowercase(),
            metadata.name()
        );
        let requests = requests_of(&action, context.input());
        cfg.interceptor_state().store_put(Pending(requests));
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Pending(requests)) = cfg.load::<Pending>().cloned() else {
            return Ok(());
        };
        // IAM authorizes DescribeKey on the key an alias points to: the answer names it.
        let described = context
            .output_or_error()
            .and_then(Result::ok)
            .and_then(|o| {
                o.downcast_ref::<aws_sdk_kms::operation::describe_key::DescribeKeyOutput>()
            })
            .and_then(|o| o.key_metadata())
            .and_then(|k| k.arn())
            .map(str::to_owned);
        for mut request in requests {
            if let (Some(arn), "kms:DescribeKey") = (&described, request.action.as_str()) {
                request.resource.clone_from(arn);
            }
            self.log.record(&self.deployment, request);
        }
        Ok(())
    }
}

/// The requests IAM evaluates for one call: the call's own action on its resource, and the
/// `iam:PassRole` Glue checks when the settings name a service role.
fn requests_of(
    action: &str,
    input: &aws_smithy_runtime_api::client::interceptors::context::Input,
) -> Vec<Request> {
    let request = |action: &str, resource: String| Request {
        action: action.to_owned(),
        resource,
        context: BTreeMap::new(),
    };
    let catalog = |id: Option<&str>| {
        format!(
            "arn:aws:glue:{REGION}:{}:catalog",
            id.filter(|id| !id.is_empty()).unwrap_or(ACCOUNT)
        )
    };
    use aws_sdk_glue::operation::get_data_catalog_encryption_settings::GetDataCatalogEncryptionSettingsInput as GlueGet;
    use aws_sdk_glue::operation::put_data_catalog_encryption_settings::PutDataCatalogEncryptionSettingsInput as GluePut;
    use aws_sdk_kms::operation::describe_key::DescribeKeyInput;
    use aws_sdk_securityhub::operation::batch_import_findings::BatchImportFindingsInput;
    use aws_sdk_securityhub::operation::get_findings::GetFindingsInput;
    use aws_sdk_sns::operation::publish::PublishInput;
    use aws_sdk_ssm::operation::get_parameter::GetParameterInput;

    if let Some(get) = input.downcast_ref::<GlueGet>() {
        return vec![request(action, catalog(get.catalog_id()))];
    }
    if let Some(put) = input.downcast_ref::<GluePut>() {
        let mut requests = vec![request(action, catalog(put.catalog_id()))];
        let role = put
            .data_catalog_encryption_settings()
            .and_then(|s| s.encryption_at_rest())
            .and_then(|a| a.catalog_encryption_service_role());
        if let Some(role) = role {
            let mut pass = request("iam:PassRole", role.to_owned());
            pass.context
                .insert("iam:PassedToService".into(), "glue.amazonaws.com".into());
            requests.push(pass);
        }
        return requests;
    }
    if let Some(get) = input.downcast_ref::<GetParameterInput>() {
        let name = get.name().unwrap_or_default();
        let arn = if name.starts_with("arn:") {
            name.to_owned()
        } else {
            format!("arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}")
        };
        return vec![request(action, arn)];
    }
    if let Some(describe) = input.downcast_ref::<DescribeKeyInput>() {
        let key = describe.key_id().unwrap_or_default();
        let arn = if key.starts_with("arn:") {
            key.to_owned()
        } else if key.starts_with("alias/") {
            format!("arn:aws:kms:{REGION}:{ACCOUNT}:{key}")
        } else {
            format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}")
        };
        return vec![request(action, arn)];
    }
    if let Some(import) = input.downcast_ref::<BatchImportFindingsInput>() {
        return import
            .findings()
            .iter()
            .map(|finding| {
                let mut import =
                    request(action, finding.product_arn().unwrap_or_default().to_owned());
                import.context.insert(
                    "securityhub:TargetAccount".into(),
                    finding.aws_account_id().unwrap_or_default().to_owned(),
                );
                import
            })
            .collect();
    }
    if input.downcast_ref::<GetFindingsInput>().is_some() {
        return vec![request(
            action,
            format!("arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default"),
        )];
    }
    if let Some(publish) = input.downcast_ref::<PublishInput>() {
        return vec![request(
            action,
            publish.topic_arn().unwrap_or_default().to_owned(),
        )];
    }
    // An operation this list does not know: recorded with no resource, which the policy
    // evaluation reports rather than passes.
    vec![request(action, String::new())]
}
