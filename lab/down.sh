#!/usr/bin/env bash
# Remove the FRR lab, then show anything left with the default prefix (expected: nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/unilink lab down "$@"
left=$(ip netns list | awk '$1 ~ /^ul-/ {print $1}')
if [ -n "$left" ]; then
  echo "namespaces left: $left" >&2
  exit 1
fi
