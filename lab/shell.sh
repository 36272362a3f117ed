#!/usr/bin/env bash
# Run a shell (or the given command) inside one of the lab's namespaces.
set -euo pipefail
ns=${1:?usage: lab/shell.sh <namespace> [command...]}
shift
if [ $# -eq 0 ]; then set -- bash; fi
exec ip netns exec "$ns" "$@"
