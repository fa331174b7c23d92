#!/usr/bin/env bash
# Builds the guardrail with `sam build`: `cargo lambda build --release --arm64` of the crate
# functions/glue-encryption-guardrail, copied to .aws-sam/build/GuardrailFunction/bootstrap,
# and .aws-sam/build/template.yaml pointing at it. Works offline; no Docker.
#
# Needs: cargo-lambda and zig from the project's .venv (scripts/setup.sh installs them),
# aws-sam-cli from .tools/sam-venv (scripts/setup-template-tools.sh, run here), and the
# aarch64-unknown-linux-gnu Rust target (added here when missing).
#
# Extra arguments go to `sam build`. CARGO_TARGET_DIR is honoured if set; otherwise cargo
# uses the workspace's target/ directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ ! -x .venv/bin/cargo-lambda ]]; then
  echo "sam-build: .venv/bin/cargo-lambda is missing; run scripts/setup.sh first" >&2
  exit 1
fi
bash scripts/setup-template-tools.sh >/dev/null

if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  echo "sam-build: adding the Rust target aarch64-unknown-linux-gnu"
  rustup target add aarch64-unknown-linux-gnu
fi

# cargo-lambda (and the zig it cross-compiles with) from .venv, sam from its own venv.
export PATH="$ROOT/.venv/bin:$ROOT/.tools/sam-venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0

# sam notes that the Rust workflow always builds in the source directory: that is expected.
sam build --template-file template.yaml "$@"

BOOTSTRAP=.aws-sam/build/GuardrailFunction/bootstrap
if [[ ! -f "$BOOTSTRAP" ]]; then
  echo "sam-build: $BOOTSTRAP was not produced" >&2
  exit 1
fi
echo "sam-build: $BOOTSTRAP, $(stat -c %s "$BOOTSTRAP") bytes"
if command -v file >/dev/null; then
  file "$BOOTSTRAP"
fi
