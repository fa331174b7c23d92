#!/usr/bin/env bash
# Local Lambda runs against the emulator, through cargo-lambda's runtime API emulator.
#   lambda-local.sh watch              emulator + `cargo lambda watch`, in the foreground
#   lambda-local.sh invoke EVENT       replay EVENT's request on the emulator, invoke, show the catalog
#   lambda-local.sh demo               the whole story, start to finish, then clean up
# EMULATOR_PORT (default 5050) and INVOKE_PORT (default 9050) choose the ports.
set -euo pipefail
cd "$(dirname "$0")/.."

export EMULATOR_PORT="${EMULATOR_PORT:-5050}"
INVOKE_PORT="${INVOKE_PORT:-9050}"
export PATH="$PWD/.venv/bin:$PATH"
emulator() { .venv/bin/python scripts/emulator.py "$@"; }
watch_args=(--package glue-encryption-guardrail --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT"
            --env-file scripts/local.env --env-var "AWS_ENDPOINT_URL=http://127.0.0.1:$EMULATOR_PORT")

invoke() {
  # Prints the audit record the function returned (or the error it failed with).
  cargo lambda invoke glue-encryption-guardrail --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" \
    --data-file "$1" --output-format json 2>&1 | emulator report
}


wait_for_port() {
  for _ in $(seq 1 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.5
  done
  echo "nothing listens on port $1" >&2; return 1
}

case "${1:-}" in
  watch)
    emulator start
    trap 'emulator stop' EXIT
    emulator seed >/dev/null
    echo "emulator on 127.0.0.1:$EMULATOR_PORT (key and parameter seeded); invoke with: make invoke EVENT=events/<file>.json"
    cargo lambda watch "${watch_args[@]}"
    ;;
  invoke)
    event="${2:?usage: lambda-local.sh invoke events/<file>.json}"
    emulator apply "$event"
    emulator show "catalog before the invocation"
    echo "  guardrail, invoked with $event:"
    invoke "$event"
    emulator show "catalog after"
    ;;
  demo)
    echo "== Building the guardrail (the first build compiles the AWS SDK: a few minutes) =="
    cargo build --quiet --package glue-encryption-guardrail --bin glue-encryption-guardrail
    echo
    echo "== Starting the local AWS emulator and cargo-lambda's Lambda runtime =="
    emulator start
    pids=()
    trap 'kill "${pids[@]}" 2>/dev/null || true; emulator stop' EXIT
    cargo lambda watch --quiet --ignore-changes "${watch_args[@]}" >.venv/lambda-watch.log 2>&1 &
    pids+=($!)
    wait_for_port "$INVOKE_PORT"
    key=$(emulator seed)
    echo "  customer KMS key     $key"
    echo "  SSM parameter        /glue-encryption-guardrail/kms-key-arn -> that key"
    echo
    echo "== 1. Someone turns catalog encryption off (events/put-encryption-disabled.json) =="
    emulator apply events/put-encryption-disabled.json
    emulator show "catalog before"
    echo "  guardrail:"
    invoke events/put-encryption-disabled.json
    emulator show "catalog after"
    echo
    echo "== 2. The guardrail's own write comes back as an event (events/put-by-guardrail-itself.json) =="
    echo "  guardrail:"
    invoke events/put-by-guardrail-itself.json
    echo
    echo "== 3. Someone switches the catalog to another customer key (events/put-other-customer-key.json) =="
    emulator apply events/put-other-customer-key.json
    emulator show "catalog before"
    echo "  guardrail:"
    invoke events/put-other-customer-key.json
    emulator show "catalog after"
    echo
    echo "Demo done: the emulator and the runtime are stopped. Full audit records: .venv/lambda-watch.log"
    ;;
  *)
    sed -n '2,6p' "$0"; exit 2 ;;
esac
