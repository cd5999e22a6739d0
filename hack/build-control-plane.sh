#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and etcd from the Go module proxy into a
# version-keyed cache outside the repository. Does nothing when the binaries are already there.
# The pinned versions live in hack/k8s-bins/go.mod (committed with its go.sum).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
K8S_VERSION="$(sed -n 's#^[[:space:]]*k8s.io/kubernetes \(v[0-9.]*\).*#\1#p' "$here/k8s-bins/go.mod" | head -1)"
ETCD_VERSION="$(sed -n 's#^[[:space:]]*go.etcd.io/etcd/server/v3 \(v[0-9.]*\).*#\1#p' "$here/k8s-bins/go.mod" | head -1)"
CACHE_ROOT="${VIDRA_PEPR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vidra-pepr}"
BIN_DIR="$CACHE_ROOT/k8s-$K8S_VERSION-etcd-$ETCD_VERSION/bin"

if [[ "${1:-}" == "--print-dir" ]]; then echo "$BIN_DIR"; exit 0; fi

if [[ -x "$BIN_DIR/kube-apiserver" && -x "$BIN_DIR/kube-controller-manager" && -x "$BIN_DIR/etcd" ]]; then
  echo "control plane $K8S_VERSION (etcd $ETCD_VERSION) already built in $BIN_DIR"
  exit 0
fi

command -v go >/dev/null || { echo "error: Go (1.26 or newer) is needed to build the local control plane; install it and retry" >&2; exit 1; }

minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
echo "building control plane $K8S_VERSION (etcd $ETCD_VERSION) into $BIN_DIR (a cold build takes 20-30 minutes on 2 cores)"
tmp="$BIN_DIR.partial.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cd "$here/k8s-bins"
ldf="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
start=$(date +%s)
go build -trimpath -ldflags "$ldf" -o "$tmp/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3
mkdir -p "$(dirname "$BIN_DIR")"
rm -rf "$BIN_DIR"
mv "$tmp" "$BIN_DIR"
trap - EXIT
echo "built in $(( $(date +%s) - start ))s: $(ls "$BIN_DIR" | tr '\n' ' ')"
