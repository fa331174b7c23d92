#!/usr/bin/env bash
# Rolls the guardrail out to every account of the chosen organizational units, in the chosen
# regions, with one CloudFormation StackSet: service-managed permissions, and automatic
# deployment to accounts that join those OUs later.
#
# Run it with credentials for the organization's management account, or for a delegated
# StackSets administrator (CALL_AS=DELEGATED_ADMIN). docs/deploying.md, "Every account of an
# organization: StackSets", has the prerequisites (trusted access, the artifact buckets and
# their policy, CloudTrail) and the permissions this script needs.
#
# Required environment:
#   ORGANIZATIONAL_UNIT_IDS   comma-separated OU ids, e.g. ou-ab12-cdefgh34,ou-ab12-ijklmn56
#   REGIONS                   comma-separated regions, e.g. eu-west-1,eu-central-1
#   ARTIFACTS_BUCKET_PREFIX   a bucket named <prefix>-<region> exists for every region of the
#                             StackSet (Lambda reads code only from its own region) and for
#                             HOME_REGION, and member accounts may read from it
# Optional environment:
#   STACK_SET_NAME            default glue-encryption-guardrail
#   HOME_REGION               where the StackSet itself lives; default AWS_REGION, else the
#                             first of REGIONS
#   CALL_AS                   SELF (default) or DELEGATED_ADMIN
#   PARAMETERS_FILE           a JSON file of template parameters for every account, in the
#                             CLI's form: [{"ParameterKey": "EnforcementMode",
#                             "ParameterValue": "detect"}, ...]
#   PARAMETERS                the same JSON, given in the variable itself
#                             Values may hold spaces and commas ("rate(30 minutes)", lists).
#                             Pass the same parameters on every run: one left out of an update
#                             is not guaranteed to keep its previous value.
#   CANARY_OU                 an OU (one of, or under, ORGANIZATIONAL_UNIT_IDS) whose accounts
#   CANARY_ACCOUNTS           and/or these comma-separated accounts are deployed first, one at a
#                             time with no failure tolerated; the rest follows only if none of
#                             them failed
#   MAX_CONCURRENT_PERCENTAGE     share of accounts deployed at once per region, default 25
#   FAILURE_TOLERANCE_PERCENTAGE  share of accounts allowed to fail per region, default 10
#
# Every run is the same, whether the StackSet exists or not:
#   1. build, package, and stage the code package in the bucket of every region the StackSet
#      has instances in, and of every region in REGIONS (read from the StackSet, not assumed);
#   2. create the StackSet if it does not exist (any other error describing it stops the run);
#   3. canary stage (with CANARY_OU or CANARY_ACCOUNTS): update the canary accounts' instances,
#      then create the ones they miss; stop if any of them did not succeed;
#   4. update every instance, then create every instance that is missing: each (account,
#      region) of the OUs' active accounts in REGIONS that has none, found by listing both
#      first (AWS does not document what CreateStackInstances does with existing instances);
#   5. after every operation, list each instance that did not succeed (an operation with a
#      failure tolerance reports SUCCEEDED while some accounts failed), and at the end every
#      instance of the StackSet that is not CURRENT. The exit status is non-zero if any is.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

: "${ORGANIZATIONAL_UNIT_IDS:?set ORGANIZATIONAL_UNIT_IDS (comma-separated OU ids)}"
: "${REGIONS:?set REGIONS (comma-separated regions)}"
: "${ARTIFACTS_BUCKET_PREFIX:?set ARTIFACTS_BUCKET_PREFIX (buckets <prefix>-<region>)}"
STACK_SET_NAME="${STACK_SET_NAME:-glue-encryption-guardrail}"
CALL_AS="${CALL_AS:-SELF}"
MAX_CONCURRENT_PERCENTAGE="${MAX_CONCURRENT_PERCENTAGE:-25}"
FAILURE_TOLERANCE_PERCENTAGE="${FAILURE_TOLERANCE_PERCENTAGE:-10}"
CANARY_OU="${CANARY_OU:-}"
CANARY_ACCOUNTS="${CANARY_ACCOUNTS:-}"

IFS=, read -r -a regions <<<"$REGIONS"
IFS=, read -r -a ous <<<"$ORGANIZATIONAL_UNIT_IDS"
HOME_REGION="${HOME_REGION:-${AWS_REGION:-${regions[0]}}}"
home_bucket="$ARTIFACTS_BUCKET_PREFIX-$HOME_REGION"

command -v aws >/dev/null || { echo "stackset: the AWS CLI (aws) is required" >&2; exit 1; }

out=.aws-sam/stackset
mkdir -p "$out"

# json EXPRESSION [ARGS...]: runs a line of Python with json and sys imported, reading nothing.
json() { python3 -c "import json, sys; $1" "${@:2}"; }

# --- Parameters: JSON, from a file or the variable --------------------------------------------
parameters_file="$out/parameters.json"
if [[ -n "${PARAMETERS_FILE:-}" ]]; then
  cp "$PARAMETERS_FILE" "$parameters_file"
elif [[ -n "${PARAMETERS:-}" ]]; then
  printf '%s\n' "$PARAMETERS" >"$parameters_file"
else
  echo '[]' >"$parameters_file"
fi
# The CLI's JSON form, checked before anything is built. Every account and region needs a key
# of its own: a key ARN cannot be shared this way.
json '
try:
    parameters = json.load(open(sys.argv[1]))
except ValueError as error:
    sys.exit(f"stackset: the parameters are not JSON ({error}); give [{{\"ParameterKey\": ..., \"ParameterValue\": ...}}]")
if not isinstance(parameters, list) or not all(isinstance(p, dict) and "ParameterKey" in p for p in parameters):
    sys.exit("stackset: the parameters must be a JSON list of {\"ParameterKey\": ..., \"ParameterValue\": ...}")
if any(p["ParameterKey"] == "KmsKeyArn" and p.get("ParameterValue") for p in parameters):
    sys.exit("stackset: leave KmsKeyArn empty in a StackSet; each stack creates its own key")
' "$parameters_file"
parameters=()
[[ "$(json 'print(len(json.load(open(sys.argv[1]))))' "$parameters_file")" == 0 ]] \
  || parameters=(--parameters "file://$parameters_file")

cfn() { aws cloudformation "$@" --call-as "$CALL_AS" --region "$HOME_REGION"; }

# --- Does the StackSet exist? Only "not found" means no. ---------------------------------------
stack_set_exists=true
if ! cfn describe-stack-set --stack-set-name "$STACK_SET_NAME" >/dev/null 2>"$out/describe.err"; then
  if grep -q StackSetNotFoundException "$out/describe.err"; then
    stack_set_exists=false
  else
    echo "stackset: describe-stack-set $STACK_SET_NAME failed:" >&2
    cat "$out/describe.err" >&2
    exit 1
  fi
fi

# instances: every stack instance of the StackSet, as JSON (Account, Region, Status, ...).
instances() {
  if [[ "$stack_set_exists" == true ]]; then
    cfn list-stack-instances --stack-set-name "$STACK_SET_NAME" --query Summaries --output json
  else
    echo '[]'
  fi
}

# The regions to stage the package in: those of this run, and every region the StackSet
# already has instances in (an update reaches all of them).
staging_regions_text="$(instances | json '
regions = set(sys.argv[1].split(",")) | {sys.argv[2]} | {i["Region"] for i in json.load(sys.stdin)}
print("\n".join(sorted(regions)))' "$REGIONS" "$HOME_REGION")"
mapfile -t staging_regions <<<"$staging_regions_text"

# --- 1. Build, package, stage --------------------------------------------------------------
bash scripts/sam-build.sh

export PATH="$ROOT/.tools/sam-venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0

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

# The code object is read again whenever a stack is created from this template version:
# automatic deployment to an account that joins an OU, a new region, a retried instance. It
# must never expire or be overwritten; its key is the package's hash, so it never is.
for region in "${staging_regions[@]}"; do
  [[ "$region" == "$HOME_REGION" ]] && continue
  echo "stackset: staging the package in s3://$ARTIFACTS_BUCKET_PREFIX-$region/$code_key"
  aws s3 cp "s3://$home_bucket/$code_key" "s3://$ARTIFACTS_BUCKET_PREFIX-$region/$code_key" \
    --source-region "$HOME_REGION" --region "$region" --only-show-errors
done

# Expand the SAM template: service-managed StackSets cannot run the SAM transform. The code
# bucket becomes <prefix>-${AWS::Region}, so each stack reads its own region's copy.
python scripts/sam-to-cfn.py "$out/packaged.yaml" \
  --code-bucket-prefix "$ARTIFACTS_BUCKET_PREFIX" -o "$out/template.json"
cfn-lint -- "$out/template.json"

template_key="$STACK_SET_NAME/template-$(sha256sum "$out/template.json" | cut -c1-16).json"
aws s3 cp "$out/template.json" "s3://$home_bucket/$template_key" \
  --region "$HOME_REGION" --only-show-errors
# S3's endpoint in the home region's partition, as the SDK resolves it (amazonaws.com, but
# amazonaws.com.cn in China, and others elsewhere), in virtual-hosted style.
s3_host="$(python -c 'import boto3, sys; print(boto3.client("s3", region_name=sys.argv[1]).meta.endpoint_url.split("://", 1)[1])' "$HOME_REGION")"
template_url="https://$home_bucket.$s3_host/$template_key"

# --- Operations ----------------------------------------------------------------------------
preferences_file="$out/preferences.json"
canary_preferences_file="$out/canary-preferences.json"
json '
print(json.dumps({"RegionConcurrencyType": "PARALLEL",
                  "MaxConcurrentPercentage": int(sys.argv[1]),
                  "FailureTolerancePercentage": int(sys.argv[2]),
                  "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE"}))' \
  "$MAX_CONCURRENT_PERCENTAGE" "$FAILURE_TOLERANCE_PERCENTAGE" >"$preferences_file"
# The canary: one account at a time, region after region, and the first failure stops it.
echo '{"RegionConcurrencyType": "SEQUENTIAL", "MaxConcurrentCount": 1, "FailureToleranceCount": 0}' \
  >"$canary_preferences_file"

failed_instances=0

# The functions below are called in "|| ..." lists, where bash ignores set -e: each checks
# its AWS calls itself.

# wait_for_operation ID: waits for the operation, then lists every instance it did not bring
# to SUCCEEDED, whatever the operation's own status. Returns 1 if there is any.
wait_for_operation() {
  local operation_id="$1" status results not_succeeded
  [[ -n "$operation_id" && "$operation_id" != None ]] || { echo "stackset: no operation was started" >&2; return 1; }
  echo "stackset: waiting for operation $operation_id"
  while true; do
    status="$(cfn describe-stack-set-operation --stack-set-name "$STACK_SET_NAME" \
      --operation-id "$operation_id" --query StackSetOperation.Status --output text)" || return 1
    case "$status" in
      SUCCEEDED | FAILED | STOPPED) break ;;
      *) sleep 20 ;;
    esac
  done
  results="$(cfn list-stack-set-operation-results --stack-set-name "$STACK_SET_NAME" \
    --operation-id "$operation_id" --query Summaries --output json)" || return 1
  not_succeeded="$(json '
for r in json.load(sys.stdin):
    if r.get("Status") != "SUCCEEDED":
        print("  " + "  ".join(str(r.get(k, "")) for k in ("Account", "Region", "Status", "StatusReason")))' <<<"$results")"
  if [[ -n "$not_succeeded" ]]; then
    echo "stackset: operation $operation_id $status; instances that did not succeed:" >&2
    echo "$not_succeeded" >&2
    failed_instances=$((failed_instances + $(wc -l <<<"$not_succeeded")))
    return 1
  fi
  echo "stackset: operation $operation_id $status, every instance succeeded"
  [[ "$status" == SUCCEEDED ]]
}

# targets_json ACCOUNT...: deployment targets for exactly these accounts of the OUs (none:
# every account of the OUs).
targets_json() {
  json '
ous, accounts = sys.argv[1].split(","), [a for a in sys.argv[2:] if a]
targets = {"OrganizationalUnitIds": ous}
if accounts:
    targets.update(Accounts=accounts, AccountFilterType="INTERSECTION")
print(json.dumps(targets))' "$ORGANIZATIONAL_UNIT_IDS" "$@"
}

# accounts_of OU...: the active accounts under these OUs, child OUs included (StackSets deploys
# to them too), except the management account, where service-managed StackSets never deploy.
# One per line; exits non-zero if Organizations cannot be read.
accounts_of() {
  local management parent children
  management="$(aws organizations describe-organization \
    --query Organization.MasterAccountId --output text)" || return 1
  local pending=("$@")
  while [[ ${#pending[@]} -gt 0 ]]; do
    parent="${pending[0]}"
    pending=("${pending[@]:1}")
    aws organizations list-accounts-for-parent --parent-id "$parent" \
      --query "Accounts[?Status=='ACTIVE' && Id!='$management'].Id" --output text \
      | tr '\t' '\n' | grep -E '^[0-9]{12}$' || true
    children="$(aws organizations list-organizational-units-for-parent --parent-id "$parent" \
      --query 'OrganizationalUnits[].Id' --output text)" || return 1
    for child in $children; do
      [[ "$child" == None ]] || pending+=("$child")
    done
  done
}

# update_instances PREFERENCES ACCOUNT...: brings the existing instances of these accounts
# (none: all) up to this template and these parameters, in every region the StackSet has.
update_instances() {
  local preferences="$1"
  shift
  local listed regions_of_set
  listed="$(instances)" || return 1
  regions_of_set=()
  mapfile -t regions_of_set < <(json 'print("\n".join(sorted({i["Region"] for i in json.load(sys.stdin)})))' <<<"$listed" | grep .)
  [[ ${#regions_of_set[@]} -gt 0 ]] || return 0
  local scope=()
  if [[ $# -gt 0 ]]; then
    scope=(--deployment-targets "$(targets_json "$@")" --regions "${regions_of_set[@]}")
    echo "stackset: updating the instances of $* in ${regions_of_set[*]}"
  else
    echo "stackset: updating every instance of $STACK_SET_NAME"
  fi
  local operation_id
  operation_id="$(cfn update-stack-set --stack-set-name "$STACK_SET_NAME" \
    --template-url "$template_url" \
    --capabilities CAPABILITY_IAM \
    "${parameters[@]}" \
    "${scope[@]}" \
    --operation-preferences "file://$preferences" \
    --query OperationId --output text)" || return 1
  wait_for_operation "$operation_id"
}

# create_missing_instances PREFERENCES ACCOUNT...: creates the instances that these accounts
# (by default: every active account of the OUs) lack in REGIONS, and only those. One
# operation per set of regions that the same accounts lack.
create_missing_instances() {
  local preferences="$1"
  shift
  local wanted=("$@") found listed groups status=0
  if [[ ${#wanted[@]} -eq 0 ]]; then
    found="$(accounts_of "${ous[@]}" | sort -u)" || { echo "stackset: cannot list the accounts of $ORGANIZATIONAL_UNIT_IDS" >&2; return 1; }
    [[ -n "$found" ]] || { echo "stackset: no active account in $ORGANIZATIONAL_UNIT_IDS"; return 0; }
    mapfile -t wanted <<<"$found"
  fi
  listed="$(instances)" || return 1
  # Lines "region,region<TAB>account account ...": accounts grouped by the regions they lack.
  groups="$(json '
existing = {(i["Account"], i["Region"]) for i in json.load(sys.stdin)}
regions, accounts = sys.argv[1].split(","), sys.argv[2:]
groups = {}
for account in accounts:
    lacking = tuple(r for r in regions if (account, r) not in existing)
    if lacking:
        groups.setdefault(lacking, []).append(account)
for lacking, members in sorted(groups.items()):
    print(",".join(lacking) + "\t" + " ".join(members))' "$REGIONS" "${wanted[@]}" <<<"$listed")"
  if [[ -z "$groups" ]]; then
    echo "stackset: no instance missing for ${#wanted[@]} account(s) in $REGIONS"
    return 0
  fi
  local lacking members
  while IFS=$'\t' read -r lacking members; do
    local group_regions group_accounts operation_id
    IFS=, read -r -a group_regions <<<"$lacking"
    read -r -a group_accounts <<<"$members"
    echo "stackset: creating the instances of ${#group_accounts[@]} account(s) in ${group_regions[*]}"
    operation_id="$(cfn create-stack-instances --stack-set-name "$STACK_SET_NAME" \
      --deployment-targets "$(targets_json "${group_accounts[@]}")" \
      --regions "${group_regions[@]}" \
      --operation-preferences "file://$preferences" \
      --query OperationId --output text </dev/null)" || { status=1; continue; }
    wait_for_operation "$operation_id" </dev/null || status=1
  done <<<"$groups"
  return $status
}

# --- 2. The StackSet ---------------------------------------------------------------------
if [[ "$stack_set_exists" == false ]]; then
  echo "stackset: creating $STACK_SET_NAME"
  cfn create-stack-set --stack-set-name "$STACK_SET_NAME" \
    --description "Glue Data Catalog encryption guardrail" \
    --template-url "$template_url" \
    --capabilities CAPABILITY_IAM \
    "${parameters[@]}" \
    --permission-model SERVICE_MANAGED \
    --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false \
    --managed-execution Active=true >/dev/null
  stack_set_exists=true
  updated=true # created with this template and these parameters
else
  updated=false
fi

# --- 3. The canary -------------------------------------------------------------------------
canary=()
if [[ -n "$CANARY_ACCOUNTS" ]]; then
  IFS=, read -r -a canary <<<"$CANARY_ACCOUNTS"
fi
if [[ -n "$CANARY_OU" ]]; then
  canary_ou_accounts="$(accounts_of "$CANARY_OU" | sort -u)"
  [[ -n "$canary_ou_accounts" ]] || { echo "stackset: CANARY_OU $CANARY_OU has no active account" >&2; exit 1; }
  mapfile -t -O "${#canary[@]}" canary <<<"$canary_ou_accounts"
fi
if [[ ${#canary[@]} -gt 0 ]]; then
  echo "stackset: canary: ${canary[*]}, no failure tolerated"
  if [[ "$updated" == false ]]; then
    update_instances "$canary_preferences_file" "${canary[@]}" \
      || { echo "stackset: the canary failed; the other accounts were not touched" >&2; exit 1; }
    # The StackSet now holds this template: the other instances are OUTDATED until step 4.
  fi
  create_missing_instances "$canary_preferences_file" "${canary[@]}" \
    || { echo "stackset: the canary failed; the other accounts were not touched" >&2; exit 1; }
fi

# --- 4. Everything ---------------------------------------------------------------------------
status=0
if [[ "$updated" == false ]]; then
  update_instances "$preferences_file" || status=1
fi
create_missing_instances "$preferences_file" || status=1

# --- 5. What is not CURRENT ------------------------------------------------------------------
not_current="$(instances | json '
for i in json.load(sys.stdin):
    if i.get("Status") != "CURRENT":
        detail = (i.get("StackInstanceStatus") or {}).get("DetailedStatus", "")
        print("  " + "  ".join(str(v) for v in (i["Account"], i["Region"], i["Status"], detail, i.get("StatusReason", ""))))')"
if [[ -n "$not_current" ]]; then
  echo "stackset: instances of $STACK_SET_NAME that are not CURRENT:" >&2
  echo "$not_current" >&2
  status=1
fi
if [[ $status -ne 0 || $failed_instances -gt 0 ]]; then
  echo "stackset: done, with instances that did not succeed (listed above)" >&2
  exit 1
fi
echo "stackset: done; every instance of $STACK_SET_NAME is CURRENT"
