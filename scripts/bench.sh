#!/usr/bin/env bash
# `make bench`: measures the guardrail and prints one Markdown table on standard output (build
# and progress output goes to standard error). docs/performance.md explains every figure.
#
#   1. the pure core with criterion (parse + classify + evaluate, one core)
#   2. the release function binary, native: invoke latency, cold start and peak memory, run under
#      a local Lambda Runtime API against moto's server; AWS calls counted at the SDK
#   3. the release arm64 bootstrap, as deployed, and its zip: package size
#
# Nothing is set up by hand: scripts/setup.sh installs moto, cargo-lambda and zig into .venv/,
# and the arm64 Rust target is added when missing. Builds are incremental; the first run
# compiles the AWS SDK three times (bench profile, native release, arm64 release).
#
#   BENCH_INVOKES  warm invokes per latency scenario   (default 200)
#   BENCH_STARTS   cold starts per cold scenario        (default 20)
#   BENCH_MIXED    events in the peak-memory run        (default 500)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh >&2
export PATH="$PWD/.venv/bin:$PATH"

log() { echo "bench: $*" >&2; }

target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

log "pure core, criterion (bench profile: the release profile's settings)"
cargo bench --locked --package glue-encryption-guardrail --bench core >&2

log "release build, native ($(uname -m))"
cargo build --release --locked --package glue-encryption-guardrail >&2
function_binary="$target_dir/release/glue-encryption-guardrail"

log "release build, arm64 bootstrap (cargo lambda; reused when current)"
if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  rustup target add aarch64-unknown-linux-gnu >&2
fi
cargo lambda build --release --arm64 --package glue-encryption-guardrail >&2
bootstrap="$target_dir/lambda/glue-encryption-guardrail/bootstrap"
zip="$target_dir/bench/bootstrap.zip"
mkdir -p "$(dirname "$zip")"
# The zip Lambda receives: one executable `bootstrap`, deflated.
python3 - "$bootstrap" "$zip" <<'PY'
import sys, zipfile
source, destination = sys.argv[1:]
entry = zipfile.ZipInfo("bootstrap")
entry.external_attr = 0o100755 << 16
entry.compress_type = zipfile.ZIP_DEFLATED
with open(source, "rb") as binary, zipfile.ZipFile(destination, "w") as archive:
    archive.writestr(entry, binary.read())
PY

log "building the harness (tests crate)"
cargo build --locked --package guardrail-system-tests --bin bench >&2

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
memory=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`make bench\` on $(nproc) cores ($cpu), $memory RAM,"
echo "Linux $(uname -r) $(uname -m), $(rustc --version | cut -d' ' -f1-2); load average before the run:"
echo "$(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)."
echo
"$target_dir/debug/bench" \
  --function "$function_binary" \
  --bootstrap "$bootstrap" \
  --zip "$zip" \
  --criterion "$target_dir/criterion" \
  --invokes "${BENCH_INVOKES:-200}" \
  --starts "${BENCH_STARTS:-20}" \
  --mixed "${BENCH_MIXED:-500}"
