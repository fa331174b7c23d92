#!/usr/bin/env bash
# Rolls the guardrail out to every account of the chosen organizational units, in the chosen
# regions, with one CloudFormation StackSet: service-managed permissions, and automatic
# deployment to accounts that join those OUs later.
#
# Run it with credentials for the organization's management account, or for a delegated
# StackSets administrator (CALL_AS=DELEGATED_ADMIN). See docs/deploy.md for the
# prerequisites (trusted access, the artifact buckets and their policy, CloudTrail).
#
# Required environment:
#   ORGANIZATIONAL_UNIT_IDS   comma-separated OU ids, e.g. ou-ab12-cdefgh34,ou-ab12-ijklmn56
#   REGIONS                   comma-separated regions, e.g. eu-west-1,eu-central-1
#   ARTIFACTS_BUCKET_PREFIX   a bucket named <prefix>-<region> exists for every region in
#                             REGIONS (Lambda reads code only from its own region) and for
#                             HOME_REGION, and member accounts may read from it
# Optional environment:
#   STACK_SET_NAME            default glue-encryption-guardrail
#   HOME_REGION               where the StackSet itself lives; default AWS_REGION, else the
#                             first of REGIONS
#   CALL_AS                   SELF (default) or DELEGATED_ADMIN
#   PARAMETERS                template parameters for every account, in the CLI's form, e.g.
#                             "ParameterKey=EnforcementMode,ParameterValue=detect"
#                             Pass the same value on every run: a parameter left out of an
#                             update is not guaranteed to keep its previous value.
#   MAX_CONCURRENT_PERCENTAGE     share of accounts deployed at once per region, default 25
#   FAILURE_TOLERANCE_PERCENTAGE  share of accounts allowed to fail per region, default 10
#
# The first run creates the StackSet and its stack instances; later runs update the template
# and parameters of every existing instance. To add OUs or regions later, use
# `aws cloudformation create-stack-instances` as shown in docs/deploy.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

: "${ORGANIZATIONAL_UNIT_IDS:?set ORGANIZATIONAL_UNIT_IDS (comma-separated OU ids)}"
: "${REGIONS:?set REGIONS (comma-separated regions)}"
: "${ARTIFACTS_BUCKET_PREFIX:?set ARTIFACTS_BUCKET_PREFIX (buckets <prefix>-<region>)}"
STACK_SET_NAME="${STACK_SET_NAME:-glue-encryption-guardrail}"
CALL_AS="${CALL_AS:-SELF}"
PARAMETERS="${PARAMETERS:-}"
MAX_CONCURRENT_PERCENTAGE="${MAX_CONCURRENT_PERCENTAGE:-25}"
FAILURE_TOLERANCE_PERCENTAGE="${FAILURE_TOLERANCE_PERCENTAGE:-10}"

IFS=, read -r -a regions <<<"$REGIONS"
HOME_REGION="${HOME_REGION:-${AWS_REGION:-${regions[0]}}}"
home_bucket="$ARTIFACTS_BUCKET_PREFIX-$HOME_REGION"

# Every account and region needs a key of its own: a key ARN cannot be shared this way.
if [[ "$PARAMETERS" =~ ParameterKey=KmsKeyArn,ParameterValue=[^[:space:]] ]]; then
  echo "stackset: leave KmsKeyArn empty in a StackSet; each stack creates its own key" >&2
  exit 1
fi
command -v aws >/dev/null || { echo "stackset: the AWS CLI (aws) is required" >&2; exit 1; }

out=.aws-sam/stackset
mkdir -p "$out"

# 1. Build the arm64 bootstrap.
bash scripts/sam-build.sh

export PATH="$ROOT/.tools/sam-venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0

# 2. Upload the function package to the home region's bucket...
echo "stackset: packaging to s3://$home_bucket/$STACK_SET_NAME/"
sam package \
  --template-file .aws-sam/build/template.yaml \
  --s3-bucket "$home_bucket" \
  --s3-prefix "$STACK_SET_NAME" \
  --region "$HOME_REGION" \
  --output-template-file "$out/packaged.yaml"

code_uri="$(python - "$out/packaged.yaml" <<'PY'
import sys
from samcli.yamlhelper import parse_yaml_file
template = parse_yaml_file(sys.argv[1])
print(template["Resources"]["GuardrailFunction"]["Properties"]["CodeUri"])
PY
)"
code_key="${code_uri#"s3://$home_bucket/"}"

# ...and copy it to the bucket of every other region, under the same key.
for region in "${regions[@]}"; do
  [[ "$region" == "$HOME_REGION" ]] && continue
  echo "stackset: copying the package to s3://$ARTIFACTS_BUCKET_PREFIX-$region/$code_key"
  aws s3 cp "s3://$home_bucket/$code_key" "s3://$ARTIFACTS_BUCKET_PREFIX-$region/$code_key" \
    --source-region "$HOME_REGION" --region "$region" --only-show-errors
done

# 3. Expand the SAM template: service-managed StackSets cannot run the SAM transform. The
#    code bucket becomes <prefix>-${AWS::Region}, so each stack reads its own region's copy.
python scripts/sam-to-cfn.py "$out/packaged.yaml" \
  --code-bucket-prefix "$ARTIFACTS_BUCKET_PREFIX" -o "$out/template.json"
cfn-lint -- "$out/template.json"

template_key="$STACK_SET_NAME/template-$(sha256sum "$out/template.json" | cut -c1-16).json"
aws s3 cp "$out/template.json" "s3://$home_bucket/$template_key" \
  --region "$HOME_REGION" --only-show-errors
template_url="https://$home_bucket.s3.$HOME_REGION.amazonaws.com/$template_key"

# 4. Create or update the StackSet, then wait for its operation.
cfn() { aws cloudformation "$@" --call-as "$CALL_AS" --region "$HOME_REGION"; }

parameters=()
if [[ -n "$PARAMETERS" ]]; then
  read -r -a parameter_words <<<"$PARAMETERS"
  parameters=(--parameters "${parameter_words[@]}")
fi

preferences="RegionConcurrencyType=PARALLEL"
preferences+=",MaxConcurrentPercentage=$MAX_CONCURRENT_PERCENTAGE"
preferences+=",FailureTolerancePercentage=$FAILURE_TOLERANCE_PERCENTAGE"
preferences+=",ConcurrencyMode=SOFT_FAILURE_TOLERANCE"

wait_for_operation() {
  local operation_id="$1" status
  echo "stackset: waiting for operation $operation_id"
  while true; do
    status="$(cfn describe-stack-set-operation --stack-set-name "$STACK_SET_NAME" \
      --operation-id "$operation_id" --query StackSetOperation.Status --output text)"
    case "$status" in
      SUCCEEDED)
        echo "stackset: operation $operation_id succeeded"
        return 0
        ;;
      FAILED | STOPPED)
        echo "stackset: operation $operation_id $status; instances that did not succeed:" >&2
        # shellcheck disable=SC2016 # the backquotes are a JMESPath literal, not a shell expansion
        cfn list-stack-set-operation-results --stack-set-name "$STACK_SET_NAME" \
          --operation-id "$operation_id" \
          --query 'Summaries[?Status!=`SUCCEEDED`].[Account,Region,Status,StatusReason]' \
          --output table >&2
        return 1
        ;;
      *) sleep 20 ;;
    esac
  done
}

if cfn describe-stack-set --stack-set-name "$STACK_SET_NAME" >/dev/null 2>&1; then
  echo "stackset: updating $STACK_SET_NAME and all its stack instances"
  operation_id="$(cfn update-stack-set --stack-set-name "$STACK_SET_NAME" \
    --template-url "$template_url" \
    --capabilities CAPABILITY_IAM \
    "${parameters[@]}" \
    --operation-preferences "$preferences" \
    --query OperationId --output text)"
  wait_for_operation "$operation_id"
else
  echo "stackset: creating $STACK_SET_NAME"
  cfn create-stack-set --stack-set-name "$STACK_SET_NAME" \
    --description "Glue Data Catalog encryption guardrail" \
    --template-url "$template_url" \
    --capabilities CAPABILITY_IAM \
    "${parameters[@]}" \
    --permission-model SERVICE_MANAGED \
    --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false \
    --managed-execution Active=true >/dev/null

  echo "stackset: deploying to OUs $ORGANIZATIONAL_UNIT_IDS in ${regions[*]}"
  operation_id="$(cfn create-stack-instances --stack-set-name "$STACK_SET_NAME" \
    --deployment-targets "OrganizationalUnitIds=$ORGANIZATIONAL_UNIT_IDS" \
    --regions "${regions[@]}" \
    --operation-preferences "$preferences" \
    --query OperationId --output text)"
  wait_for_operation "$operation_id"
fi
