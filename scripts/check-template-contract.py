#!/usr/bin/env python3
"""Checks template.yaml against the contract it shares with the function crate.

Reads the template as written (for the SAM build metadata) and its expansion by
sam-to-cfn.py (for everything CloudFormation will create), and fails if:

  - the function is not the arm64 provided.al2023 `bootstrap` built from the crate
    functions/glue-encryption-guardrail (binary glue-encryption-guardrail);
  - its environment is not exactly the variables the function reads (each named in the
    crate's source), with GUARDRAIL_ROLE_ARN pointing at the function's own execution role;
  - the event rule's pattern is not exactly the CloudTrail pattern for
    PutDataCatalogEncryptionSettings;
  - the role grants any action beyond the lists below (a change here is a review point), with
    the default parameters, in detect mode (which may not write the catalog) and with each
    parameter that adds a permission;
  - the catalog settings resource exists in another mode than remediate, is not retained, or
    is not created after every resource that exists in every configuration (so that a failed
    create never touches the catalog);
  - the dead-letter queue accepts EventBridge messages from anything but the two rules.

Prints the numbers a reviewer asks for: IAM actions granted, resources created with the
default parameters.

Usage: check-template-contract.py TEMPLATE_YAML EXPANDED_JSON
"""

import json
import os
import sys

from samcli.yamlhelper import parse_yaml_file

CRATE_DIR = "functions/glue-encryption-guardrail"
BINARY = "glue-encryption-guardrail"

ENVIRONMENT = {
    "KMS_KEY_PARAMETER",
    "ENFORCEMENT_MODE",
    "GUARDRAIL_ROLE_ARN",
    "KEY_CACHE_TTL_SECONDS",
    "EXEMPTION_PARAMETER",
    "NOTIFICATION_TOPIC_ARN",
    "CATALOG_SERVICE_ROLE_ARN",
    "SECURITY_HUB_FINDINGS",
}

EVENT_PATTERN = {
    "source": ["aws.glue"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {
        "eventSource": ["glue.amazonaws.com"],
        "eventName": ["PutDataCatalogEncryptionSettings"],
    },
}

# What the role may do in detect mode, where it never writes the catalog...
DETECT_PARAMETERS = {"EnforcementMode": "detect"}
DETECT_ACTIONS = {
    "glue:GetDataCatalogEncryptionSettings",
    "ssm:GetParameter",
    "kms:DescribeKey",
    "sqs:SendMessage",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
}
# ...in remediate mode (the default)...
ROLE_ACTIONS = DETECT_ACTIONS | {"glue:PutDataCatalogEncryptionSettings"}
# ...and in addition when there is an alarm topic to publish notifications to...
NOTIFICATION_ACTIONS = {"sns:Publish", "kms:GenerateDataKey*", "kms:Decrypt"}
# ...in SSE-KMS-WITH-SERVICE-ROLE mode (the role is passed when the settings are written, so
# in remediate mode only)...
SERVICE_ROLE_PARAMETERS = {"CatalogServiceRoleName": "service-role/glue-catalog-encryption"}
SERVICE_ROLE_ACTIONS = {"iam:PassRole"}
# ...and with Security Hub findings (import the account's own finding, read it back).
FINDINGS_PARAMETERS = {"SecurityHubFindings": "Enabled"}
FINDINGS_ACTIONS = {"securityhub:BatchImportFindings", "securityhub:GetFindings"}
# The function's SECURITY_HUB_FINDINGS for each value of the parameter.
FINDINGS_ENVIRONMENT = {"Disabled": "disabled", "Enabled": "enabled"}

failures = []


def expect(condition, message):
    if not condition:
        failures.append(message)


def as_list(value):
    return value if isinstance(value, list) else [value]


def of_type(template, resource_type):
    return {name: r for name, r in template["Resources"].items() if r["Type"] == resource_type}


def evaluate(template, expression, parameters):
    """Evaluates a condition expression with the given parameter values."""
    if isinstance(expression, dict):
        (function, argument), = expression.items()
        if function == "Ref":
            return parameters[argument]
        if function == "Condition":
            return evaluate(template, template["Conditions"][argument], parameters)
        if function == "Fn::Equals":
            return evaluate(template, argument[0], parameters) == evaluate(template, argument[1], parameters)
        if function == "Fn::Not":
            return not evaluate(template, argument[0], parameters)
        if function == "Fn::And":
            return all(evaluate(template, a, parameters) for a in argument)
        if function == "Fn::Or":
            return any(evaluate(template, a, parameters) for a in argument)
        if function == "Fn::Join":
            values = evaluate(template, argument[1], parameters)
            return argument[0].join(values if isinstance(values, list) else [values])
        raise ValueError(f"cannot evaluate {function}")
    return expression


NO_VALUE = object()


def select(template, value, parameters):
    """VALUE with every Fn::If decided for PARAMETERS and AWS::NoValue left out."""
    if isinstance(value, list):
        chosen = (select(template, item, parameters) for item in value)
        return [item for item in chosen if item is not NO_VALUE]
    if isinstance(value, dict):
        if list(value) == ["Fn::If"]:
            name, then, otherwise = value["Fn::If"]
            branch = then if evaluate(template, {"Condition": name}, parameters) else otherwise
            return select(template, branch, parameters)
        if value == {"Ref": "AWS::NoValue"}:
            return NO_VALUE
        chosen = {key: select(template, item, parameters) for key, item in value.items()}
        return {key: item for key, item in chosen.items() if item is not NO_VALUE}
    return value


def default_parameters(template):
    values = {}
    for name, parameter in template["Parameters"].items():
        default = str(parameter.get("Default", ""))
        if parameter["Type"] == "CommaDelimitedList":
            values[name] = default.split(",") if default else [""]
        else:
            values[name] = default
    return values


def main():
    source = parse_yaml_file(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as expanded_file:
        cfn = json.load(expanded_file)

    # --- The function and how it is built ------------------------------------------------
    sam_functions = of_type(source, "AWS::Serverless::Function")
    expect(len(sam_functions) == 1, f"expected one AWS::Serverless::Function, found {len(sam_functions)}")
    for sam_function in sam_functions.values():
        metadata = sam_function.get("Metadata", {})
        expect(metadata.get("BuildMethod") == "rust-cargolambda", "BuildMethod is not rust-cargolambda")
        expect(metadata.get("BuildProperties", {}).get("Binary") == BINARY, f"Binary is not {BINARY}")
        code_uri = sam_function["Properties"].get("CodeUri")
        expect(code_uri == CRATE_DIR, f"CodeUri is {code_uri!r}, not the crate directory {CRATE_DIR}")
        expect(os.path.isfile(os.path.join(CRATE_DIR, "Cargo.toml")), f"{CRATE_DIR}/Cargo.toml is missing")

    functions = of_type(cfn, "AWS::Lambda::Function")
    for name, function in functions.items():
        properties = function["Properties"]
        expect(properties.get("Runtime") == "provided.al2023", f"{name}: runtime is not provided.al2023")
        expect(properties.get("Architectures") == ["arm64"], f"{name}: architecture is not arm64")
        expect(properties.get("Handler") == "bootstrap", f"{name}: handler is not bootstrap")
        expect(properties.get("LoggingConfig", {}).get("LogFormat") == "JSON", f"{name}: logs are not JSON")
        variables = properties.get("Environment", {}).get("Variables", {})
        expect(set(variables) == ENVIRONMENT, f"{name}: environment is {sorted(variables)}, not {sorted(ENVIRONMENT)}")
        expect(
            variables.get("GUARDRAIL_ROLE_ARN") == properties.get("Role"),
            f"{name}: GUARDRAIL_ROLE_ARN is not the function's own role",
        )
        for value, expected in FINDINGS_ENVIRONMENT.items():
            actual = select(cfn, variables.get("SECURITY_HUB_FINDINGS"),
                            {**default_parameters(cfn), "SecurityHubFindings": value})
            expect(actual == expected,
                   f"{name}: SECURITY_HUB_FINDINGS is {actual!r} with SecurityHubFindings={value}, not {expected!r}")

    # The crate names each variable it reads as a string literal: one name for one thing.
    crate_source = ""
    for directory, _, files in os.walk(os.path.join(CRATE_DIR, "src")):
        for file_name in files:
            if file_name.endswith(".rs"):
                with open(os.path.join(directory, file_name), encoding="utf-8") as rust_file:
                    crate_source += rust_file.read()
    for variable in sorted(ENVIRONMENT):
        expect(f'"{variable}"' in crate_source, f"the crate never reads {variable} (no \"{variable}\" in src/)")

    # --- The trigger ---------------------------------------------------------------------
    patterns = [r["Properties"]["EventPattern"] for r in of_type(cfn, "AWS::Events::Rule").values()
                if "EventPattern" in r["Properties"]]
    expect(patterns == [EVENT_PATTERN], f"event patterns are {patterns}, expected [{EVENT_PATTERN}]")

    # --- The role ------------------------------------------------------------------------
    defaults = default_parameters(cfn)

    def allowed_actions(document, parameters):
        statements = select(cfn, as_list(document["Statement"]), parameters)
        return {action for statement in statements if statement["Effect"] == "Allow"
                for action in as_list(statement["Action"])}

    def role_actions(parameters):
        actions = set()
        for role in of_type(cfn, "AWS::IAM::Role").values():
            for policy in role["Properties"].get("Policies", []):
                actions |= allowed_actions(policy["PolicyDocument"], parameters)
            expect(not role["Properties"].get("ManagedPolicyArns"), "the role has managed policies attached")
        return actions

    granted = role_actions(defaults)
    expect(granted == ROLE_ACTIONS, f"the role grants {sorted(granted ^ ROLE_ACTIONS)} unlike the reviewed list")
    configurations = [
        (DETECT_PARAMETERS, DETECT_ACTIONS),
        (SERVICE_ROLE_PARAMETERS, ROLE_ACTIONS | SERVICE_ROLE_ACTIONS),
        ({**SERVICE_ROLE_PARAMETERS, **DETECT_PARAMETERS}, DETECT_ACTIONS),
        (FINDINGS_PARAMETERS, ROLE_ACTIONS | FINDINGS_ACTIONS),
        ({**FINDINGS_PARAMETERS, **DETECT_PARAMETERS}, DETECT_ACTIONS | FINDINGS_ACTIONS),
    ]
    granted_in = {}
    for overrides, expected in configurations:
        actual = role_actions({**defaults, **overrides})
        granted_in[tuple(sorted(overrides.items()))] = actual
        expect(actual == expected,
               f"with {overrides} the role grants {sorted(actual ^ expected)} unlike the reviewed list")
    with_service_role = granted_in[tuple(sorted(SERVICE_ROLE_PARAMETERS.items()))]
    with_findings = granted_in[tuple(sorted(FINDINGS_PARAMETERS.items()))]

    # Policy resources attached to the role: only the notification policy, only when
    # notifications go to the alarm topic.
    with_topic = set(granted)
    for name, policy in of_type(cfn, "AWS::IAM::Policy").items():
        actions = allowed_actions(policy["Properties"]["PolicyDocument"], defaults)
        expect(policy.get("Condition") == "SendNotifications", f"{name}: attached without notifications on")
        expect(actions == NOTIFICATION_ACTIONS, f"{name} grants {sorted(actions ^ NOTIFICATION_ACTIONS)} unlike the reviewed list")
        with_topic |= actions

    # --- The dead-letter queue -------------------------------------------------------------
    rule_names = sorted(of_type(cfn, "AWS::Events::Rule"))
    for queue_policy in of_type(cfn, "AWS::SQS::QueuePolicy").values():
        for statement in as_list(queue_policy["Properties"]["PolicyDocument"]["Statement"]):
            if statement["Effect"] != "Allow":
                continue
            source_arns = statement.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn", [])
            named = sorted(arn["Fn::GetAtt"][0] for arn in as_list(source_arns) if "Fn::GetAtt" in arn)
            expect(named == rule_names, f"queue policy allows {named}, expected exactly the rules {rule_names}")

    # --- The catalog settings: remediate mode only, retained, created last -----------------
    settings = of_type(cfn, "AWS::Glue::DataCatalogEncryptionSettings")
    expect(len(settings) == 1, f"expected one AWS::Glue::DataCatalogEncryptionSettings, found {len(settings)}")
    for name, resource in settings.items():
        for mode, exists in (("remediate", True), ("detect", False)):
            condition = resource.get("Condition")
            actual = condition is None or evaluate(cfn, {"Condition": condition}, {**defaults, "EnforcementMode": mode})
            expect(actual == exists, f"{name} {'does not exist' if exists else 'exists'} in {mode} mode")
        expect(resource.get("DeletionPolicy") == "Retain", f"{name}: DeletionPolicy is not Retain")
        expect(resource.get("UpdateReplacePolicy") == "Retain", f"{name}: UpdateReplacePolicy is not Retain")
        always = {other for other, r in cfn["Resources"].items() if "Condition" not in r and other != name}
        missing = sorted(always - set(as_list(resource.get("DependsOn", []))))
        expect(not missing, f"{name} is not created after {missing}")

    # --- The numbers ---------------------------------------------------------------------
    created = [name for name, r in cfn["Resources"].items()
               if "Condition" not in r or evaluate(cfn, {"Condition": r["Condition"]}, defaults)]

    if failures:
        for failure in failures:
            print(f"contract: {failure}", file=sys.stderr)
        return 1
    print(f"contract: {len(granted)} IAM actions granted to the function role "
          f"({len(with_topic)} with Notifications, {len(with_service_role)} with CatalogServiceRoleName, "
          f"{len(with_findings)} with SecurityHubFindings, {len(DETECT_ACTIONS)} in detect mode); "
          f"{len(created)} resources with the default parameters (of {len(cfn['Resources'])} in the template)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
