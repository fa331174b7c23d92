#!/usr/bin/env bash
# Evaluates the template's policies, offline: no AWS account, no credentials.
#
#   1. installs the evaluator (tests/policy/package-lock.json, pinned) into the ignored
#      tests/policy/node_modules/ with `npm ci`, once: a stamp names the lock file's hash
#   2. expands template.yaml to plain CloudFormation (scripts/sam-to-cfn.py); the expansion
#      keeps parameters and conditions, so one expansion serves every parameter set
#   3. runs tests/policy/evaluate.mjs: resolves the template for a sample account and region
#      under each parameter set in tests/policy/cases.mjs, evaluates every case, then every
#      request the function made in the emulator tests (target/policy-requests/*.json)
#
# Prints the verdict table and `policy-checks: N passed, M failed`; exits non-zero when any
# verdict differs from its expectation. With POLICY_REQUESTS_REQUIRED=1 (set by `make test`,
# after cargo test has run), finding no recorded requests is a failure too.
#
# The evaluator, @cloud-copilot/iam-simulate, is AGPL-3.0: a test tool only, never part of
# what is built or deployed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SUITE=tests/policy

command -v node >/dev/null || { echo "check-policies: node (20 or later) is needed" >&2; exit 1; }
command -v npm >/dev/null || { echo "check-policies: npm is needed" >&2; exit 1; }

stamp="$SUITE/node_modules/.installed-$(cat "$SUITE/package.json" "$SUITE/package-lock.json" | sha256sum | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
  echo "check-policies: installing the pinned evaluator into $SUITE/node_modules/ ..."
  # --ignore-scripts: nothing from the registry runs at install time.
  (cd "$SUITE" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  touch "$stamp"
fi

bash scripts/setup-template-tools.sh >/dev/null
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
.tools/sam-venv/bin/python scripts/sam-to-cfn.py template.yaml --placeholder-code -o "$WORK/expanded.json"

# The resolver's own tests first: a case on a wrongly resolved template proves nothing.
printf 'resolver tests: '
node --test --test-reporter=dot "$SUITE"/test/*.test.mjs
node "$SUITE/evaluate.mjs" "$WORK/expanded.json" \
  --recorded target/policy-requests \
  --fixture "$SUITE/fixtures/recorded-requests.json" \
  --fixture "$SUITE/fixtures/recorded-requests-security-hub.json"
