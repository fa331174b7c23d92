#!/usr/bin/env bash
# Installs what `make demo` and `make test` need, pinned, into ignored folders:
#   .venv/  moto's server, cargo-lambda and zig (scripts/requirements.txt, scripts/constraints.txt)
# The template tools (SAM CLI, cfn-lint, cfn-guard) are installed by setup-template-tools.sh.
# Safe to run again: it does nothing when everything is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
stamp="$venv/.installed-$(cat scripts/requirements.txt scripts/constraints.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing moto, cargo-lambda and zig into $venv/ ..."
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    -r scripts/requirements.txt -c scripts/constraints.txt
  rm -f "$venv"/.installed-*
  touch "$stamp"
fi

command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust with rustup first" >&2; exit 1; }
