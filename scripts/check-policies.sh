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
#   4. checks that docs/deploying.md shows the suite's own verdict table as printed today;
#      `check-policies.sh --update-docs` writes it there
#
# Prints the verdict table and `policy-checks: N passed, M failed`; exits non-zero when any
# verdict differs from its expectation, or when the table in the docs is not current. With
# POLICY_REQUESTS_REQUIRED=1 (set by `make test`, after cargo test has run), finding no recorded
# requests is a failure too.
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
fixtures=(--fixture "$SUITE/fixtures/recorded-requests.json"
          --fixture "$SUITE/fixtures/recorded-requests-security-hub.json")
status=0
node "$SUITE/evaluate.mjs" "$WORK/expanded.json" --recorded target/policy-requests "${fixtures[@]}" || status=$?

# docs/deploying.md shows the suite's own verdict table (without the emulator's recordings),
# between the <summary>Verdict table ...> line and the end of the code block after it. It must be
# the table the evaluator prints today; --update-docs writes it there.
DOC=docs/deploying.md
env -u POLICY_REQUESTS_REQUIRED node "$SUITE/evaluate.mjs" "$WORK/expanded.json" "${fixtures[@]}" >"$WORK/own.txt" || true
python3 - "$DOC" "$WORK/own.txt" "${1:-}" <<'PY' || status=1
import re, sys
doc_path, own_path, mode = sys.argv[1:4]
doc, own = open(doc_path).read(), open(own_path).read().strip("\n") + "\n"
counts = re.search(r"policy-checks: (\d+ passed, \d+ failed)", own)
summary = counts.group(1) if counts else "not evaluated"
pattern = re.compile(r"(<summary>Verdict table \()[^)]*(\)</summary>\n\n```\n)(.*?)(```\n)", re.S)
match = pattern.search(doc)
if not match:
    sys.exit(f"check-policies: no verdict table block in {doc_path}")
if match.group(3) == own and f"({summary})" in match.group(0):
    print(f"check-policies: the verdict table in {doc_path} is current")
elif mode == "--update-docs":
    doc = doc[:match.start()] + match.group(1) + summary + match.group(2) + own + match.group(4) + doc[match.end():]
    open(doc_path, "w").write(doc)
    print(f"check-policies: wrote the current verdict table to {doc_path}")
else:
    sys.exit(f"check-policies: the verdict table in {doc_path} differs from the evaluator's; "
             "run scripts/check-policies.sh --update-docs and review the change")
PY
exit "$status"
