# The front door. `make help` lists the targets.
#
# Tools are installed by the project's own scripts, pinned, into ignored folders: .venv/ (moto,
# cargo-lambda, zig), .tools/ (SAM CLI, cfn-lint, cfn-guard, checkov) and
# tests/policy/node_modules/ (the policy evaluator, from its package-lock.json). Nothing is
# installed by hand.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

EVENT ?= events/put-encryption-disabled.json

.PHONY: help setup demo test lint build watch invoke audit check-template check-policies sam-build deploy stackset bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

setup: ## Install every tool the project uses, pinned, into .venv/ and .tools/
	@scripts/setup.sh
	@scripts/setup-template-tools.sh

demo: ## Show a drifted catalog fixed on the local AWS emulator
	@scripts/setup.sh
	@scripts/lambda-local.sh demo

test: setup ## Run the whole suite: unit, handler, emulator, template and policy checks
	@# The emulator tests record their requests here; the policy checks read this run's only.
	rm -rf target/policy-requests
	@# The emulator is on loopback: a proxy set for the registries must not carry its calls.
	NO_PROXY="127.0.0.1,localhost$${NO_PROXY:+,$$NO_PROXY}" cargo test --workspace --locked
	scripts/check-template.sh
	POLICY_REQUESTS_REQUIRED=1 scripts/check-policies.sh

lint: ## Format check and clippy with warnings denied
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

build: ## Build the release arm64 bootstrap with cargo-lambda
	@scripts/setup.sh
	@rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
	PATH="$(CURDIR)/.venv/bin:$$PATH" cargo lambda build --release --arm64 --package glue-encryption-guardrail
	@ls -l target/lambda/glue-encryption-guardrail/bootstrap

watch: ## Run the function locally (cargo lambda watch) against a seeded emulator
	@scripts/setup.sh
	@scripts/lambda-local.sh watch

invoke: ## Replay EVENT's request on the emulator and invoke the watched function with it
	@scripts/lambda-local.sh invoke $(EVENT)

audit: ## Read-only audit of catalog encryption in many regions and accounts (ARGS="--key-parameter NAME ...")
	cargo run --quiet --locked -p glue-encryption-audit -- $(ARGS)

bench: ## Print the performance table: API calls, latency, cold start, memory, package size
	@scripts/setup.sh
	@scripts/bench.sh

check-template: ## sam validate --lint, cfn-lint, our cfn-guard rules (with their failing fixtures) and checkov
	@scripts/setup-template-tools.sh
	@scripts/check-template.sh

check-policies: ## Evaluate the template's IAM and key policies (and the requests the emulator tests recorded)
	@scripts/setup-template-tools.sh
	@scripts/check-policies.sh

sam-build: ## sam build: the deployable arm64 artifact in .aws-sam/
	@scripts/setup.sh
	@scripts/setup-template-tools.sh
	@scripts/sam-build.sh

deploy: ## sam build + sam deploy (guided the first time, samconfig.toml after)
	@scripts/setup.sh
	@scripts/setup-template-tools.sh
	@scripts/deploy.sh

stackset: ## Roll out to an organization with CloudFormation StackSets (docs/deploying.md)
	@scripts/setup.sh
	@scripts/setup-template-tools.sh
	@scripts/stackset.sh

clean: ## Remove build output (keeps the installed tools)
	cargo clean
	rm -rf .aws-sam
