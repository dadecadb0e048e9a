#!/usr/bin/env bash
# Builds the real Pulumi toolchain the project tests against, from the Go module proxy at pinned versions:
#   - the Pulumi CLI           (tools/engine/cli: github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
#   - the Kubernetes provider  (tools/engine/kubernetes: github.com/pulumi/pulumi-kubernetes/provider/v4)
#   - a Node.js language host  (tools/engine/langhost: see its main.go for why it is built here)
# Each folder's go.mod and go.sum pin every module. Binaries land in .tools/bin (ignored); a build is skipped when
# the binary exists and its inputs (go.mod, go.sum, sources) are unchanged, so a warm run takes a second.
# The provider is registered in the CLI's plugin folder (.tools/pulumi-home) under the version that
# @pulumi/kubernetes asks for. Usage: tools/engine/build.sh [--quiet]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
engine="$root/tools/engine"
bin="$root/.tools/bin"
export PULUMI_HOME="$root/.tools/pulumi-home"
export GOFLAGS=-mod=readonly
export GOTOOLCHAIN=local
mkdir -p "$bin" "$PULUMI_HOME"

say() { printf '[engine] %s\n' "$*" >&2; }

if ! command -v go >/dev/null 2>&1; then
    say "Go is not installed: install Go 1.26 or newer (the project builds the Pulumi CLI from its Go modules)."
    exit 2
fi

# inputs_hash DIR [extra files...]: what a build depends on, so an unchanged build is skipped.
inputs_hash() {
    local dir=$1
    shift
    (cd "$dir" && cat go.mod go.sum ./*.go "$@" 2>/dev/null; go version) | sha256sum | cut -d' ' -f1
}

# build NAME DIR PACKAGE LDFLAGS: go build with a stamp beside the binary.
build() {
    local name=$1 dir=$2 pkg=$3 ldflags=$4 stamp hash
    stamp="$bin/.$name.inputs"
    hash=$(inputs_hash "$dir")
    if [ -x "$bin/$name" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
        say "$name: up to date"
        return
    fi
    say "$name: building (a cold build takes a few minutes on 2 cores)"
    local started=$SECONDS
    (cd "$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$bin/$name.tmp" "$pkg")
    mv "$bin/$name.tmp" "$bin/$name"
    echo "$hash" >"$stamp"
    say "$name: built in $((SECONDS - started)) s"
}

# The version a module is pinned at in a folder's go.mod.
pinned() { (cd "$1" && go list -m -f '{{.Version}}' "$2"); }

cli_version=$(pinned "$engine/cli" github.com/pulumi/pulumi/pkg/v3)
build pulumi "$engine/cli" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$cli_version"
build pulumi-language-nodejs "$engine/langhost" . "-X main.version=$cli_version"
# Argo Rollouts' condition evaluation for the gate tests (its own script, which the tests also call on demand).
"$root/tools/gates/build.sh"

# The provider's main package embeds a schema its own Makefile generates (`go generate`), which the module zip
# does not carry: copy the command out of the module cache into an ignored folder and generate it there, as the
# provider's build does.
k8s_module=github.com/pulumi/pulumi-kubernetes/provider/v4
k8s_version=$(pinned "$engine/kubernetes" "$k8s_module")
k8s_src=$(cd "$engine/kubernetes" && go mod download -json "$k8s_module@$k8s_version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
gen="$engine/kubernetes/gen"
if [ ! -f "$gen/schema-embed.json" ] || [ "$(cat "$gen/.source" 2>/dev/null)" != "$k8s_version" ]; then
    rm -rf "$gen"
    mkdir -p "$gen"
    cp "$k8s_src/cmd/pulumi-resource-kubernetes/"{main.go,generate.go,schema.json,terraform-mapping.json} "$gen/"
    chmod u+w "$gen"/*
    (cd "$gen" && VERSION="$k8s_version" go run generate.go)
    rm "$gen/schema.json" "$gen/terraform-mapping.json"
    echo "$k8s_version" >"$gen/.source"
fi
build pulumi-resource-kubernetes "$engine/kubernetes" ./gen \
    "-X $k8s_module/pkg/version.Version=$k8s_version"

# Register the provider under the version @pulumi/kubernetes requests (see docs/real-engine.md for why the
# provider is built from the newest revision the proxy serves).
sdk_version=$(node -p 'require(process.argv[1]).version' "$root/node_modules/@pulumi/kubernetes/package.json")
plugin_dir="$PULUMI_HOME/plugins/resource-kubernetes-v$sdk_version"
if ! cmp -s "$bin/pulumi-resource-kubernetes" "$plugin_dir/pulumi-resource-kubernetes" 2>/dev/null; then
    "$bin/pulumi" plugin install resource kubernetes "$sdk_version" --file "$bin/pulumi-resource-kubernetes" \
        --non-interactive >/dev/null
    say "registered pulumi-resource-kubernetes ($k8s_version) as kubernetes v$sdk_version"
fi
say "ready: $("$bin/pulumi" version) with $bin on PATH"
