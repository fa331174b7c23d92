#!/usr/bin/env python3
"""Expands template.yaml (SAM) into plain CloudFormation, offline.

StackSets with service-managed permissions cannot run macros, and the SAM transform
(AWS::Serverless-2016-10-31) is one: CreateStackSet fails on any template that names it.
This script runs the same translator that CloudFormation runs (the `samtranslator` package
that aws-sam-cli ships) and writes a template that has no Transform left in it.

Usage (run with the Python of .tools/sam-venv, where samtranslator is installed):

  sam-to-cfn.py PACKAGED_TEMPLATE [-o OUT.json] [--code-bucket-prefix PREFIX]
  sam-to-cfn.py template.yaml --placeholder-code -o OUT.json     # offline checks only

--code-bucket-prefix PREFIX
    Lambda reads a function's code from a bucket in the function's own region. A StackSet
    deploys to several regions from one template, so the code bucket is rewritten to
    `PREFIX-<region>` (Fn::Sub with AWS::Region); scripts/stackset.sh copies the package
    to one such bucket per region.
--placeholder-code
    Replaces a local CodeUri (as in the unpackaged template) with a placeholder S3 location,
    so that the translation can be checked before anything is built or uploaded.

Needs no AWS credentials: the template names no AWS managed policies, so the translator
never has to look one up in IAM (it stops with an error if it ever does).
"""

import argparse
import json
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samcli.yamlhelper import parse_yaml_file  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402

PLACEHOLDER_CODE_URI = "s3://placeholder-code-bucket/glue-encryption-guardrail.zip"


class NoManagedPolicies:
    """A policy loader for templates that name no AWS managed policy."""

    def load(self):
        raise SystemExit("sam-to-cfn: the template names an AWS managed policy; that needs IAM")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template")
    parser.add_argument("-o", "--output", help="write here instead of stdout")
    parser.add_argument("--code-bucket-prefix")
    parser.add_argument("--placeholder-code", action="store_true")
    args = parser.parse_args()

    sam_template = parse_yaml_file(args.template)

    if args.placeholder_code:
        for resource in sam_template.get("Resources", {}).values():
            if resource.get("Type") == "AWS::Serverless::Function":
                code_uri = resource.get("Properties", {}).get("CodeUri")
                if isinstance(code_uri, str) and not code_uri.startswith("s3://"):
                    resource["Properties"]["CodeUri"] = PLACEHOLDER_CODE_URI

    cfn = transform(sam_template, {}, NoManagedPolicies())
    # The translator output goes through JSON once: it turns the translator's own dict and
    # string subclasses into plain values.
    cfn = json.loads(json.dumps(cfn))

    if args.code_bucket_prefix:
        for resource in cfn["Resources"].values():
            if resource["Type"] == "AWS::Lambda::Function":
                code = resource["Properties"]["Code"]
                code["S3Bucket"] = {"Fn::Sub": args.code_bucket_prefix + "-${AWS::Region}"}

    leftovers = [name for name, r in cfn["Resources"].items() if r["Type"].startswith("AWS::Serverless::")]
    if "Transform" in cfn or leftovers:
        print(f"sam-to-cfn: the output still needs the SAM transform: {leftovers}", file=sys.stderr)
        return 1

    text = json.dumps(cfn, indent=2, sort_keys=False) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
