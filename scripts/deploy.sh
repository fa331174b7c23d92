#!/usr/bin/env bash
# Deploys the guardrail to one account and region: `sam build`, then `sam deploy`.
#
# The first run (no samconfig.toml yet) is guided: it asks for the stack name, the region,
# the parameters and the CAPABILITY_IAM acknowledgement, and saves the answers to
# samconfig.toml, which later runs reuse. samconfig.toml holds deployment choices (and the
# alarm e-mail address), so it is kept out of version control.
#
# Extra arguments go to `sam deploy`, for example a second region kept as its own
# configuration environment:
#   scripts/deploy.sh --config-env eu-west-1 --region eu-west-1 --guided
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/sam-build.sh

export PATH="$ROOT/.tools/sam-venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0

if [[ -f samconfig.toml ]]; then
  sam deploy "$@"
else
  sam deploy --guided "$@"
fi
