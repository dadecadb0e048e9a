#!/usr/bin/env bash
# Builds tools/gates (Argo Rollouts' condition evaluation, see main.go) into .tools/bin/gates from the Go module
# proxy at the versions go.sum pins. Skipped when the binary exists and its inputs (go.mod, go.sum, main.go, the Go
# version) are unchanged. Called by tools/engine/build.sh (CI) and, on demand, by the gate tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir="$root/tools/gates"
bin="$root/.tools/bin"
export GOFLAGS=-mod=readonly
export GOTOOLCHAIN=local
if ! command -v go >/dev/null 2>&1; then
    echo "[gates] Go is not installed: install Go 1.26 or newer to build tools/gates" >&2
    exit 2
fi
mkdir -p "$bin"
hash=$(cd "$dir" && cat go.mod go.sum ./*.go && go version)
hash=$(printf '%s' "$hash" | sha256sum | cut -d' ' -f1)
stamp="$bin/.gates.inputs"
if [ -x "$bin/gates" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    exit 0
fi
(cd "$dir" && go build -trimpath -ldflags "-s -w" -o "$bin/gates.tmp" .)
mv "$bin/gates.tmp" "$bin/gates"
echo "$hash" >"$stamp"
echo "[gates] built $bin/gates" >&2
