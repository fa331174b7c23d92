//! The read-only audit CLI against moto's server over HTTP: three regions of one emulator,
//! seeded differently, audited through the CLI's library entry points with real SDK clients;
//! then every catalog is read back to prove that nothing was written.

use aws_config::SdkConfig;
use glue_encryption_audit::{
    self as audit_cli, ALL_REGIONS, Args, EXIT_COMPLIANT, EXIT_INCOMPLETE, EXIT_NON_COMPLIANT,
    ProgressLines, Quiet, Row, Status,
};
use glue_encryption_guardrail::adapters::glue::GlueCatalog;
use glue_encryption_guardrail::core::policy::Violation;
use glue_encryption_guardrail::core::settings::CatalogSettings;
use glue_encryption_guardrail::ports::{CatalogReader, CatalogWriter};
use guardrail_system_tests::*;
use serde_json::Value;

/// Compliant: the parameter's key on both settings.
const COMPLIANT: &str = "us-east-1";
/// Drifted: encryption switched off, as `put-encryption-disabled.json` does.
const DRIFTED: &str = "eu-west-1";
/// Never set up: no parameter, no key, a catalog nobody configured.
const UNSEEDED: &str = "ap-southeast-2";
const REGIONS: &str = "us-east-1,eu-west-1,ap-southeast-2";
const ALIAS: &str = "alias/glue-catalog";

/// A Glue key, an alias to it and the guardrail's parameter in `sdk`'s region; returns the key.
async fn seed_key(sdk: &SdkConfig) -> Result<String, Error> {
    let kms = aws_sdk_kms::Client::new(sdk);
    let key = kms
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::SymmetricDefault)
        .key_usage(aws_sdk_kms::types::KeyUsageType::EncryptDecrypt)
        .send()
        .await?
        .key_metadata()
        .and_then(|k| k.arn())
        .map(str::to_owned)
        .ok_or("CreateKey returned no ARN")?;
    // Idempotent, so that a retried call (moto can be slow to answer the first one) is no
    // failure.
    let alias = kms
        .create_alias()
        .alias_name(ALIAS)
        .target_key_id(&key)
        .send()
        .await;
    if let Err(e) = alias
        && !e
            .as_service_error()
            .is_some_and(|e| e.is_already_exists_exception())
    {
        return Err(e.into());
    }
    aws_sdk_ssm::Client::new(sdk)
        .put_parameter()
        .name(PARAMETER)
        .value(&key)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .overwrite(true)
        .send()
        .await?;
    Ok(key)
}

fn catalog(sdk: &SdkConfig) -> GlueCatalog {
    GlueCatalog::new(aws_sdk_glue::Client::new(sdk))
}

/// The three regions, seeded; returns each region's settings as seeded.
async fn seed_three_regions(emulator: &Emulator) -> Result<Vec<CatalogSettings>, Error> {
    let key = seed_key(&regional(emulator, COMPLIANT)).await?;
    catalog(&regional(emulator, COMPLIANT))
        .put_settings(&compliant(&key))
        .await?;

    let other = seed_key(&regional(emulator, DRIFTED)).await?;
    let mut drifted = compliant(&other);
    drifted.encryption_at_rest = CatalogSettings::unencrypted().encryption_at_rest;
    drifted
        .connection_password_encryption
        .return_connection_password_encrypted = false;
    catalog(&regional(emulator, DRIFTED))
        .put_settings(&drifted)
        .await?;

    let mut seeded = Vec::new();
    for region in [COMPLIANT, DRIFTED, UNSEEDED] {
        seeded.push(catalog(&regional(emulator, region)).get_settings().await?);
    }
    Ok(seeded)
}

/// Every catalog as it is now, in the order of [`REGIONS`].
async fn settings_now(emulator: &Emulator) -> Result<Vec<CatalogSettings>, Error> {
    let mut now = Vec::new();
    for region in [COMPLIANT, DRIFTED, UNSEEDED] {
        now.push(catalog(&regional(emulator, region)).get_settings().await?);
    }
    Ok(now)
}

/// The emulator's configuration with the audit's own timeouts, as the binary would load it:
/// the harness's are the function's, which a busy machine running many moto servers can miss.
fn operator(emulator: &Emulator) -> SdkConfig {
    emulator
        .sdk
        .to_builder()
        .timeout_config(audit_cli::timeout_config())
        .build()
}

/// [`operator`] in `region`: seeding and reading back are as patient as the audit.
fn regional(emulator: &Emulator, region: &str) -> SdkConfig {
    emulator
        .sdk_in(region)
        .to_builder()
        .timeout_config(audit_cli::timeout_config())
        .build()
}

fn args(line: &[&str]) -> Result<Args, Error> {
    let mut argv = vec!["glue-encryption-audit"];
    argv.extend_from_slice(line);
    Ok(Args::try_parse_from(argv)?)
}

fn statuses(rows: &[Row]) -> Vec<(&str, &str, Status)> {
    rows.iter()
        .map(|r| (r.account.as_str(), r.region.as_str(), r.status))
        .collect()
}

/// Runs the CLI as the binary does; returns the exit code, stdout and stderr.
async fn run(args: &Args, sdk: &SdkConfig, progress: bool) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = audit_cli::run(args, sdk, &mut out, &mut err, progress).await;
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

#[tokio::test]
async fn three_regions_seeded_differently_give_one_row_each() -> Result<(), Error> {
    // given one compliant, one drifted and one unconfigured region on one emulator
    let emulator = Emulator::start().await?;
    let seeded = seed_three_regions(&emulator).await?;

    // when the audit runs against the guardrail's parameter in those regions
    let args = args(&["--key-parameter", PARAMETER, "--regions", REGIONS])?;
    let rows = audit_cli::audit(&args, &operator(&emulator), &mut Quiet).await?;

    // then each region has its row, in the order given
    assert_eq!(
        statuses(&rows),
        [
            (ACCOUNT, COMPLIANT, Status::Compliant),
            (ACCOUNT, DRIFTED, Status::Drift),
            (ACCOUNT, UNSEEDED, Status::Error),
        ]
    );
    assert!(rows[0].violations.is_empty());
    assert_eq!(
        rows[1].violations,
        [
            Violation::MetadataEncryptionDisabled,
            Violation::PasswordEncryptionDisabled
        ]
    );
    let error = rows[2]
        .error
        .as_ref()
        .ok_or("the unseeded region has no error")?;
    assert_eq!(error.code, "parameter_not_found");
    assert!(error.message.contains(PARAMETER), "{}", error.message);
    // the settings were read before the parameter was found missing, and are still reported
    assert_eq!(rows[2].settings, Some(CatalogSettings::unencrypted()));
    assert_eq!(
        rows.iter().map(|r| r.settings.clone()).collect::<Vec<_>>(),
        seeded.iter().cloned().map(Some).collect::<Vec<_>>()
    );
    assert_eq!(audit_cli::exit_code(&rows), EXIT_INCOMPLETE);

    // and no catalog changed
    assert_eq!(settings_now(&emulator).await?, seeded);
    Ok(())
}

#[tokio::test]
async fn drift_exits_1_and_an_unevaluated_region_exits_2() -> Result<(), Error> {
    let emulator = Emulator::start().await?;
    let seeded = seed_three_regions(&emulator).await?;

    let only_compliant = args(&["--key-parameter", PARAMETER, "--regions", COMPLIANT])?;
    let with_drift = args(&[
        "--key-parameter",
        PARAMETER,
        "--regions",
        &format!("{COMPLIANT},{DRIFTED}"),
    ])?;
    let all_three = args(&["--key-parameter", PARAMETER, "--regions", REGIONS])?;

    assert_eq!(
        run(&only_compliant, &operator(&emulator), false).await.0,
        EXIT_COMPLIANT
    );
    assert_eq!(
        run(&with_drift, &operator(&emulator), false).await.0,
        EXIT_NON_COMPLIANT
    );
    assert_eq!(
        run(&all_three, &operator(&emulator), false).await.0,
        EXIT_INCOMPLETE
    );

    assert_eq!(settings_now(&emulator).await?, seeded);
    Ok(())
}

#[tokio::test]
async fn the_table_shows_each_catalog_and_the_errors_below() -> Result<(), Error> {
    let emulator = Emulator::start().await?;
    seed_three_regions(&emulator).await?;

    let args = args(&["--key-parameter", PARAMETER, "--regions", REGIONS])?;
    let (code, table, progress) = run(&args, &operator(&emulator), false).await;

    assert_eq!(code, EXIT_INCOMPLETE);
    assert!(
        progress.is_empty(),
        "progress without --progress: {progress}"
    );
    let lines: Vec<&str> = table.lines().collect();
    let words = |line: &str| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        words(lines[0]),
        [
            "ACCOUNT",
            "REGION",
            "STATUS",
            "AT-REST",
            "AT-REST-KEY",
            "PASSWORDS",
            "PASSWORD-KEY",
            "VIOLATIONS"
        ]
    );
    let compliant_row = words(lines[1]);
    assert_eq!(
        compliant_row[..4],
        [ACCOUNT, COMPLIANT, "compliant", "SSE-KMS"]
    );
    assert!(compliant_row[4].starts_with("key/"), "{table}");
    assert_eq!(compliant_row[5], "encrypted");
    assert_eq!(compliant_row[6], compliant_row[4], "both keys shown");
    assert_eq!(compliant_row[7], "-");
    // Passwords plain, though a key is still named: the table shows what the catalog holds.
    let drifted_row = words(lines[2]);
    assert_eq!(
        drifted_row[..6],
        [ACCOUNT, DRIFTED, "drift", "DISABLED", "-", "plain"]
    );
    assert!(drifted_row[6].starts_with("key/"), "{table}");
    assert_eq!(
        drifted_row[7],
        "metadata_encryption_disabled,password_encryption_disabled"
    );
    assert_eq!(
        words(lines[3]),
        [
            ACCOUNT,
            UNSEEDED,
            "error",
            "DISABLED",
            "-",
            "plain",
            "-",
            "error:",
            "parameter_not_found"
        ]
    );
    assert!(
        table.contains("3 catalog(s): 1 compliant, 1 drift, 1 error"),
        "{table}"
    );
    assert!(
        table.contains(&format!(
            "{ACCOUNT} {UNSEEDED}: SSM parameter {PARAMETER} does not exist"
        )),
        "{table}"
    );
    Ok(())
}

#[tokio::test]
async fn json_is_one_array_of_rows_with_the_full_settings() -> Result<(), Error> {
    let emulator = Emulator::start().await?;
    let seeded = seed_three_regions(&emulator).await?;

    let args = args(&["--key-parameter", PARAMETER, "--regions", REGIONS, "--json"])?;
    let (code, json, _) = run(&args, &operator(&emulator), false).await;
    let document: Value = serde_json::from_str(&json)?;

    assert_eq!(code, EXIT_INCOMPLETE);
    let rows = document.as_array().ok_or("not an array")?;
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["status"], "compliant");
    assert_eq!(
        rows[0]["settings"]["encryption_at_rest"]["sse_aws_kms_key_id"],
        rows[0]["expected_key_arn"]
    );
    assert_eq!(
        rows[0]["settings"],
        serde_json::to_value(&seeded[0])?,
        "the full settings, as read"
    );
    assert_eq!(rows[1]["status"], "drift");
    assert_eq!(
        rows[1]["violations"],
        serde_json::json!([
            "metadata_encryption_disabled",
            "password_encryption_disabled"
        ])
    );
    assert_eq!(rows[1]["error"], Value::Null);
    assert_eq!(rows[2]["status"], "error");
    assert_eq!(rows[2]["error"]["code"], "parameter_not_found");
    assert_eq!(rows[2]["error"]["transient"], false);
    assert_eq!(rows[2]["expected_key_arn"], Value::Null);
    for (row, region) in rows.iter().zip([COMPLIANT, DRIFTED, UNSEEDED]) {
        assert_eq!(row["account"], ACCOUNT);
        assert_eq!(row["region"], region);
    }
    Ok(())
}

#[tokio::test]
async fn a_key_given_by_alias_is_resolved_in_each_region() -> Result<(), Error> {
    // given the alias in the first two regions only
    let emulator = Emulator::start().await?;
    let seeded = seed_three_regions(&emulator).await?;

    let args = args(&["--key", ALIAS, "--regions", REGIONS])?;
    let rows = audit_cli::audit(&args, &operator(&emulator), &mut Quiet).await?;

    assert_eq!(
        statuses(&rows),
        [
            (ACCOUNT, COMPLIANT, Status::Compliant),
            (ACCOUNT, DRIFTED, Status::Drift),
            (ACCOUNT, UNSEEDED, Status::Error),
        ]
    );
    let error = rows[2].error.as_ref().ok_or("no error")?;
    assert_eq!(error.code, "key_not_found");
    assert!(
        error.message.contains("given with --key"),
        "{}",
        error.message
    );
    assert_eq!(settings_now(&emulator).await?, seeded);
    Ok(())
}

#[tokio::test]
async fn progress_counts_every_evaluation_on_stderr() -> Result<(), Error> {
    let emulator = Emulator::start().await?;
    seed_three_regions(&emulator).await?;

    let args = args(&["--key-parameter", PARAMETER, "--regions", REGIONS])?;
    let mut lines = Vec::new();
    let rows =
        audit_cli::audit(&args, &operator(&emulator), &mut ProgressLines(&mut lines)).await?;
    let lines = String::from_utf8(lines)?;

    assert_eq!(rows.len(), 3);
    let mut counters: Vec<&str> = lines
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    counters.sort_unstable();
    assert_eq!(counters, ["[1/3]", "[2/3]", "[3/3]"], "{lines}");
    assert!(
        lines.contains(&format!("{ACCOUNT} {DRIFTED} drift")),
        "{lines}"
    );
    Ok(())
}

#[tokio::test]
async fn an_organization_is_audited_through_the_role_in_each_account() -> Result<(), Error> {
    // given account 111111111111 set up through the audit role (moto keeps a state per
    // account, chosen by the assumed role's credentials) and 222222222222 never set up
    let emulator = Emulator::start().await?;
    let provider = aws_config::sts::AssumeRoleProvider::builder(
        "arn:aws:iam::111111111111:role/OrganizationAuditRole",
    )
    .session_name("seed")
    .configure(&operator(&emulator))
    .build()
    .await;
    let member = operator(&emulator)
        .to_builder()
        .credentials_provider(aws_sdk_kms::config::SharedCredentialsProvider::new(
            provider,
        ))
        .build();
    let key = seed_key(&member).await?;
    catalog(&member).put_settings(&compliant(&key)).await?;
    let caller_catalog_before = catalog(&operator(&emulator)).get_settings().await?;

    // when the organization is audited in one region
    let args = args(&[
        "--key-parameter",
        PARAMETER,
        "--regions",
        COMPLIANT,
        "--assume-role",
        "OrganizationAuditRole",
        "--accounts",
        "111111111111,222222222222",
    ])?;
    let rows = audit_cli::audit(&args, &operator(&emulator), &mut Quiet).await?;

    // then one row per account × region, each account judged on its own catalog
    assert_eq!(
        statuses(&rows),
        [
            ("111111111111", COMPLIANT, Status::Compliant),
            ("222222222222", COMPLIANT, Status::Error),
        ]
    );
    assert_eq!(rows[0].expected_key_arn.as_deref(), Some(key.as_str()));
    assert_eq!(
        rows[1].error.as_ref().map(|e| e.code.as_str()),
        Some("parameter_not_found")
    );
    assert_eq!(catalog(&member).get_settings().await?, compliant(&key));
    assert_eq!(
        catalog(&operator(&emulator)).get_settings().await?,
        caller_catalog_before
    );
    Ok(())
}

#[tokio::test]
async fn without_regions_an_account_whose_regions_cannot_be_listed_is_an_error_row()
-> Result<(), Error> {
    // moto does not implement account:ListRegions: the call fails as a denied one would
    let emulator = Emulator::start().await?;
    let args = args(&["--key-parameter", PARAMETER])?;

    let rows = audit_cli::audit(&args, &operator(&emulator), &mut Quiet).await?;

    assert_eq!(statuses(&rows), [(ACCOUNT, ALL_REGIONS, Status::Error)]);
    let error = rows[0].error.as_ref().ok_or("no error")?;
    assert!(
        error.message.contains("account:ListRegions"),
        "{}",
        error.message
    );
    assert_eq!(audit_cli::exit_code(&rows), EXIT_INCOMPLETE);
    Ok(())
}
