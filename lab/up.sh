#!/usr/bin/env bash
# Build the FRR lab from the inventory (see docs/lab.md). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/unilink lab up "$@"
