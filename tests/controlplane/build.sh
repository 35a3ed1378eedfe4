#!/usr/bin/env bash
# Build kube-apiserver and etcd from Go modules into $1 (default ~/.cache/fcwatch/controlplane/v1.36.3).
# Called by `fcwatch cluster up --build` and by the pytest fixture; safe to re-run (skips when built).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
k8s_version=v1.36.3
out=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/fcwatch/controlplane/$k8s_version}
if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ]; then
  echo "control plane already built in $out"
  exit 0
fi
command -v go >/dev/null || { echo "go not found: install Go >= 1.26 or set KUBEBUILDER_ASSETS to envtest binaries" >&2; exit 2; }
mkdir -p "$out.tmp"
major=1; minor=36
ld=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld="$ld -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
start=$(date +%s)
cd "$here"
export CGO_ENABLED=0 GOFLAGS=-mod=mod
go build -trimpath -ldflags "-s -w $ld" -o "$out.tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
go build -trimpath -ldflags "-s -w" -o "$out.tmp/etcd" ./cmd/etcd
rm -rf "$out"; mv "$out.tmp" "$out"
echo "built kube-apiserver $k8s_version and etcd into $out in $(( $(date +%s) - start ))s"
