#!/usr/bin/env bash
# Installs the tools that check and build template.yaml, pinned, into ignored folders:
#
#   .tools/sam-venv    aws-sam-cli and cfn-lint. A virtualenv of its own: aws-sam-cli pins its
#                      own boto3/botocore, which must not fight moto's in the main .venv.
#   .tools/cfn-guard   cfn-guard, built from crates.io the first time (2 to 10 minutes,
#                      depending on what else the machine is compiling).
#   .tools/checkov-venv
#                      checkov, the IaC scanner, with every dependency pinned
#                      (scripts/checkov-constraints.txt). A virtualenv of its own: its
#                      dependencies would fight aws-sam-cli's.
#
# Idempotent: a tool already installed at the pinned version is left alone, so a second run
# takes well under a second.
set -euo pipefail

SAM_CLI_VERSION="1.170.0"
CFN_LINT_VERSION="1.58.0"
CFN_GUARD_VERSION="3.2.1"
CHECKOV_VERSION="3.3.30"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SAM_VENV="$ROOT/.tools/sam-venv"
GUARD_ROOT="$ROOT/.tools/cfn-guard"
CHECKOV_VENV="$ROOT/.tools/checkov-venv"
CHECKOV_CONSTRAINTS="$ROOT/scripts/checkov-constraints.txt"
PYTHON="${PYTHON:-python3}"

# True when the venv VENV holds the distribution at exactly this version (its dist-info
# folder; quicker than asking pip).
has_distribution() {
  compgen -G "$1/lib/python*/site-packages/$2-$3.dist-info" >/dev/null
}

if [[ ! -x "$SAM_VENV/bin/python" ]]; then
  echo "setup-template-tools: creating $SAM_VENV"
  "$PYTHON" -m venv "$SAM_VENV"
fi

if ! has_distribution "$SAM_VENV" aws_sam_cli "$SAM_CLI_VERSION" \
   || ! has_distribution "$SAM_VENV" cfn_lint "$CFN_LINT_VERSION"; then
  echo "setup-template-tools: installing aws-sam-cli==$SAM_CLI_VERSION cfn-lint==$CFN_LINT_VERSION"
  "$SAM_VENV/bin/pip" install --quiet --disable-pip-version-check \
    "aws-sam-cli==$SAM_CLI_VERSION" "cfn-lint==$CFN_LINT_VERSION"
fi

if [[ ! -x "$GUARD_ROOT/bin/cfn-guard" ]] \
   || ! "$GUARD_ROOT/bin/cfn-guard" --version 2>/dev/null | grep -q "$CFN_GUARD_VERSION"; then
  echo "setup-template-tools: building cfn-guard $CFN_GUARD_VERSION (a few minutes, once)"
  cargo install cfn-guard --version "$CFN_GUARD_VERSION" --locked --root "$GUARD_ROOT"
fi

# The constraints' hash in a stamp: a changed constraints file reinstalls.
checkov_stamp="$CHECKOV_VENV/.installed-$(sha256sum "$CHECKOV_CONSTRAINTS" | cut -c1-16)"
if ! has_distribution "$CHECKOV_VENV" checkov "$CHECKOV_VERSION" || [[ ! -f "$checkov_stamp" ]]; then
  echo "setup-template-tools: installing checkov==$CHECKOV_VERSION into $CHECKOV_VENV"
  [[ -x "$CHECKOV_VENV/bin/python" ]] || "$PYTHON" -m venv "$CHECKOV_VENV"
  "$CHECKOV_VENV/bin/pip" install --quiet --disable-pip-version-check \
    "checkov==$CHECKOV_VERSION" -c "$CHECKOV_CONSTRAINTS"
  rm -f "$CHECKOV_VENV"/.installed-*
  touch "$checkov_stamp"
fi

echo "setup-template-tools: aws-sam-cli $SAM_CLI_VERSION, cfn-lint $CFN_LINT_VERSION," \
     "cfn-guard $("$GUARD_ROOT/bin/cfn-guard" --version | awk '{print $NF}'), checkov $CHECKOV_VERSION"
