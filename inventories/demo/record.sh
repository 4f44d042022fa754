#!/usr/bin/env bash
# Re-record the demo: bring up the incident scenario of the lab (a Samba AD DC and the
# WSMan/PSRP endpoint), gather its facts with `checker gather`, and stop the lab.
# The demo replays this real recorded output; regenerate it, never hand-edit facts.json.
#   bash inventories/demo/record.sh          (needs samba installed and '.[dev]')
set -euo pipefail
cd "$(dirname "$0")/../.."
lab=$(mktemp -d)
trap 'python -m tests.lab down --dir "$lab"; rm -rf "$lab"' EXIT
python -m tests.lab up --scenario connector-schema-stale --dir "$lab"
checker gather "$lab/inventory.yml" -o inventories/demo/facts.json
echo "recorded inventories/demo/facts.json from the lab"
