"""Drives the local AWS emulator (moto's server) for the demo and local invokes.

    python scripts/emulator.py start          start moto on $EMULATOR_PORT unless it already answers
    python scripts/emulator.py stop           stop the moto this script started
    python scripts/emulator.py seed           create the guardrail's key and its SSM parameter
    python scripts/emulator.py apply EVENT    make the catalog what EVENT's request asked for
    python scripts/emulator.py show [LABEL]   print the catalog's encryption settings
    python scripts/emulator.py report         summarize the audit record on standard input

`apply` replays a sample event's request against the emulator, as if the call the event records
had just happened, with the sample key ARN swapped for the emulator's key, so that the guardrail
then finds the catalog in the state the event describes. A failed call changes nothing.
"""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import urllib.request

import boto3

ROOT = pathlib.Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("EMULATOR_PORT", "5050"))
ENDPOINT = f"http://127.0.0.1:{PORT}"
REGION = "us-east-1"
PARAMETER = os.environ.get("KMS_KEY_PARAMETER", "/glue-encryption-guardrail/kms-key-arn")
SAMPLE_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PIDFILE = ROOT / ".venv" / f"moto-{PORT}.pid"


def client(service):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def answering():
    try:
        with urllib.request.urlopen(f"{ENDPOINT}/moto-api/", timeout=1):
            return True
    except OSError:
        return False


def start():
    if answering():
        return
    log = open(ROOT / ".venv" / f"moto-{PORT}.log", "w")
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(PORT)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    PIDFILE.write_text(str(proc.pid))
    deadline = time.monotonic() + 60
    while not answering():
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"emulator: moto did not start on {ENDPOINT}; see {log.name}")
        time.sleep(0.2)


def stop():
    if not PIDFILE.exists():
        return
    try:
        os.kill(int(PIDFILE.read_text()), signal.SIGTERM)
    except (ProcessLookupError, ValueError):
        pass
    PIDFILE.unlink()


def seed():
    kms = client("kms")
    key = kms.create_key(
        Description="Glue Data Catalog key (local demo)",
        KeySpec="SYMMETRIC_DEFAULT",
        KeyUsage="ENCRYPT_DECRYPT",
    )["KeyMetadata"]["Arn"]
    client("ssm").put_parameter(Name=PARAMETER, Value=key, Type="String", Overwrite=True)
    print(key)


def expected_key():
    return client("ssm").get_parameter(Name=PARAMETER)["Parameter"]["Value"]


def apply(path):
    event = json.loads(pathlib.Path(path).read_text())
    detail = event.get("detail") or {}
    requested = (detail.get("requestParameters") or {}).get("dataCatalogEncryptionSettings")
    if detail.get("errorCode") or not requested:
        return
    key = expected_key()

    def swap(value):
        return key if value == SAMPLE_KEY else value

    at_rest = requested.get("encryptionAtRest") or {}
    passwords = requested.get("connectionPasswordEncryption") or {}
    settings = {
        "EncryptionAtRest": {"CatalogEncryptionMode": at_rest.get("catalogEncryptionMode", "DISABLED")},
        "ConnectionPasswordEncryption": {
            "ReturnConnectionPasswordEncrypted": bool(passwords.get("returnConnectionPasswordEncrypted"))
        },
    }
    if at_rest.get("sseAwsKmsKeyId"):
        settings["EncryptionAtRest"]["SseAwsKmsKeyId"] = swap(at_rest["sseAwsKmsKeyId"])
    if at_rest.get("catalogEncryptionServiceRole"):
        settings["EncryptionAtRest"]["CatalogEncryptionServiceRole"] = at_rest["catalogEncryptionServiceRole"]
    if passwords.get("awsKmsKeyId"):
        settings["ConnectionPasswordEncryption"]["AwsKmsKeyId"] = swap(passwords["awsKmsKeyId"])
    client("glue").put_data_catalog_encryption_settings(DataCatalogEncryptionSettings=settings)


def show(label="catalog"):
    settings = client("glue").get_data_catalog_encryption_settings()["DataCatalogEncryptionSettings"]
    at_rest = settings.get("EncryptionAtRest") or {}
    passwords = settings.get("ConnectionPasswordEncryption") or {}
    try:
        ours = expected_key()
    except Exception:  # no parameter yet
        ours = None

    def key(value):
        if not value:
            return "(none)"
        return f"{value}  <- the guardrail's key" if value == ours else value

    print(f"  {label}:")
    print(f"    metadata at rest      {at_rest.get('CatalogEncryptionMode', 'DISABLED')}, key {key(at_rest.get('SseAwsKmsKeyId'))}")
    encrypted = "encrypted" if passwords.get("ReturnConnectionPasswordEncrypted") else "NOT encrypted"
    print(f"    connection passwords  {encrypted}, key {key(passwords.get('AwsKmsKeyId'))}")


def report():
    text = sys.stdin.read()
    try:
        record = json.loads(text)
    except ValueError:
        print("    " + text.strip().replace("\n", "\n    "))
        return
    if not isinstance(record, dict) or "outcome" not in record:
        print(f"    {text.strip()}")
        return
    for name in ["outcome", "reason", "violations", "expected_key_arn", "write"]:
        value = record.get(name)
        print(f"    {name:18} {value if isinstance(value, str) else json.dumps(value)}")
    trigger = record.get("trigger") or {}
    print(f"    {'trigger':18} {trigger.get('event_name')} by {trigger.get('caller_arn')}")


if __name__ == "__main__":
    command, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    commands = {"start": start, "stop": stop, "seed": seed, "apply": apply, "show": show, "report": report}
    if command not in commands:
        sys.exit(__doc__)
    commands[command](*args)
