#!/usr/bin/env bash
# Offline checks of template.yaml: no AWS account, no credentials, no Docker.
#
#   1. sam validate --lint, and cfn-lint, on the template as written
#   2. the SAM transform expands it to plain CloudFormation (what StackSets deploy),
#      and cfn-lint passes on that too
#   3. the contract with the function crate (scripts/check-template-contract.py)
#   4. our cfn-guard rules (guard/guardrail.guard) pass on both forms of the template
#   5. every rule has a fixture (guard/fixtures/<rule>.yaml) that fails that rule and no other
#   6. checkov, offline, on both forms: no failed check, and every check the template skips
#      (Metadata.checkov.skip on the resource) gives its reason
#
# Prints one line per check and ends with `template-checks: N passed, M failed`; exits non-zero
# when anything failed. The tools come from scripts/setup-template-tools.sh (pinned, in .tools/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup-template-tools.sh >/dev/null

export PATH="$ROOT/.tools/sam-venv/bin:$ROOT/.tools/cfn-guard/bin:$PATH"
CHECKOV="$ROOT/.tools/checkov-venv/bin/checkov"
# Offline on purpose: a region for the tools that want one, and no credentials to find; and
# checkov neither looks for a newer version of itself nor downloads anything.
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 SAM_CLI_TELEMETRY=0
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN

RULES=guard/guardrail.guard
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
EXPANDED="$WORK/expanded.json"

passed=0
failed=0

# check NAME COMMAND...: runs COMMAND quietly; on failure shows what it printed.
check() {
  local name="$1"
  shift
  if "$@" >"$WORK/out" 2>&1; then
    passed=$((passed + 1))
    echo "ok    $name"
  else
    failed=$((failed + 1))
    echo "FAIL  $name"
    sed 's/^/      /' "$WORK/out"
  fi
}

# guard_result DATA: the names of the rules DATA does not comply with, one per line.
guard_result() {
  local status=0
  cfn-guard validate --rules "$RULES" --data "$1" \
    --output-format json --structured --show-summary none >"$WORK/guard.json" || status=$?
  # 0: compliant, 19: not compliant; anything else is an error in the rules or the data.
  if [[ $status -ne 0 && $status -ne 19 ]]; then
    echo "cfn-guard exited with $status" >&2
    cat "$WORK/guard.json" >&2
    return 1
  fi
  python3 -c '
import json, sys
for report in json.load(open(sys.argv[1])):
    for finding in report["not_compliant"]:
        print(finding["Rule"]["name"])
' "$WORK/guard.json" | sort -u
}

guard_passes() {
  local broken
  broken="$(guard_result "$1")" || return 1
  [[ -z "$broken" ]] || { echo "not compliant with: $broken"; return 1; }
}

# fixture_breaks_only RULE: the fixture of RULE fails RULE and complies with the others.
fixture_breaks_only() {
  local broken
  broken="$(guard_result "guard/fixtures/$1.yaml")" || return 1
  [[ "$broken" == "$1" ]] || { echo "expected to break only $1, breaks: ${broken:-nothing}"; return 1; }
}

# The rule names, in the order the rules file declares them (not the helpers, whose name is
# followed by their parameters).
mapfile -t rule_names < <(sed -n 's/^rule \([a-z0-9_]*\)\([ {].*\)\{0,1\}$/\1/p' "$RULES")

every_rule_has_a_fixture() {
  local rules fixtures
  rules="$(printf '%s\n' "${rule_names[@]}" | sort)"
  fixtures="$(find guard/fixtures -name '*.yaml' -printf '%f\n' | sed 's/\.yaml$//' | sort)"
  [[ "$rules" == "$fixtures" ]] || { diff <(echo "$rules") <(echo "$fixtures"); return 1; }
}

# checkov_clean FILE: checkov fails no check on FILE, and each check it skipped there carries
# a reason. Appends "FILE PASSED SKIPPED" to $WORK/checkov-counts.
checkov_clean() {
  local status=0
  "$CHECKOV" --file "$1" --framework cloudformation --skip-download --output json \
    >"$WORK/checkov.json" 2>"$WORK/checkov.err" || status=$?
  # 0: nothing failed, 1: a check failed; anything else is checkov's own error.
  if [[ $status -ne 0 && $status -ne 1 ]]; then
    echo "checkov exited with $status"
    cat "$WORK/checkov.err"
    return 1
  fi
  python3 - "$WORK/checkov.json" "$1" >>"$WORK/checkov-counts" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
reports = report if isinstance(report, list) else [report]
problems, passed, skipped = [], 0, 0
for each in reports:
    results = each.get("results", {})
    passed += len(results.get("passed_checks", []))
    for check in results.get("failed_checks", []):
        problems.append(f"FAILED {check['check_id']} on {check['resource']}: {check['check_name']}")
    for check in results.get("skipped_checks", []):
        skipped += 1
        reason = (check.get("check_result", {}).get("suppress_comment") or "").strip()
        if not reason or reason == "No comment provided":
            problems.append(f"skipped without a reason: {check['check_id']} on {check['resource']}")
if passed == 0:
    problems.append("no check passed: checkov did not read the template")
if problems:
    sys.exit("\n".join(problems))
print(sys.argv[2], passed, skipped)
PY
}

check "sam validate --lint template.yaml" sam validate --lint --template template.yaml
check "cfn-lint template.yaml" cfn-lint -- template.yaml
check "SAM transform expands to plain CloudFormation" \
  python scripts/sam-to-cfn.py template.yaml --placeholder-code -o "$EXPANDED"
check "cfn-lint on the expanded template" cfn-lint -- "$EXPANDED"
check "template keeps the contract with the function crate" \
  python scripts/check-template-contract.py template.yaml "$EXPANDED"
check "guard rules pass on template.yaml" guard_passes template.yaml
check "guard rules pass on the expanded template" guard_passes "$EXPANDED"
check "every guard rule has exactly one fixture" every_rule_has_a_fixture
for rule in "${rule_names[@]}"; do
  check "fixture fails only its rule: $rule" fixture_breaks_only "$rule"
done
check "checkov on template.yaml: nothing failed, every skip has a reason" checkov_clean template.yaml
check "checkov on the expanded template: nothing failed, every skip has a reason" checkov_clean "$EXPANDED"

# checkov's counts, for docs/deploying.md, "Checks that run without an AWS account".
if [[ -f "$WORK/checkov-counts" ]]; then
  while read -r file checks_passed checks_skipped; do
    [[ "$file" == "$EXPANDED" ]] && file="the expanded template"
    echo "checkov: $file: $checks_passed passed, $checks_skipped skipped with a reason, 0 failed"
  done <"$WORK/checkov-counts"
fi

# The contract check prints the numbers; show them once more at the end.
python scripts/check-template-contract.py template.yaml "$EXPANDED" 2>/dev/null || true

echo "template-checks: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
