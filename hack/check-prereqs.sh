#!/usr/bin/env bash
# Checks what the README lists as prerequisites, with a message that says what to install.
set -u
fail=0
need() { echo "missing prerequisite: $1" >&2; fail=1; }

if ! command -v node >/dev/null; then need "Node.js 20 (https://nodejs.org)"; else
  major=$(node -p 'process.versions.node.split(".")[0]')
  minor=$(node -p 'process.versions.node.split(".")[1]')
  # Pepr 1.1.4 (CommonJS) loads kubernetes-fluent-client (ESM) with require(esm): Node >= 20.19.
  if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 19 ]; }; then
    need "Node.js >= 20.19 (found $(node --version))"
  fi
fi
command -v npm >/dev/null || need "npm (comes with Node.js)"
command -v kubectl >/dev/null || need "kubectl (https://kubernetes.io/docs/tasks/tools/)"
command -v openssl >/dev/null || need "openssl (apt-get install openssl)"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin_dir="$(bash "$here/build-control-plane.sh" --print-dir)"
helm_dir="$(bash "$here/build-helm.sh" --print-dir)"
if [ ! -x "$bin_dir/kube-apiserver" ] || [ ! -x "$bin_dir/etcd" ] || [ ! -x "$bin_dir/kube-controller-manager" ] || [ ! -x "$helm_dir/helm" ]; then
  # Only needed to build the local control plane and helm (for the chart tests) once.
  if ! command -v go >/dev/null; then need "Go >= 1.26 to build the local control plane and helm (https://go.dev/dl/)"; else
    gv=$(go env GOVERSION | sed 's/^go//')
    gmaj=${gv%%.*}; rest=${gv#*.}; gmin=${rest%%.*}
    if [ "$gmaj" -lt 1 ] || { [ "$gmaj" -eq 1 ] && [ "$gmin" -lt 26 ]; }; then need "Go >= 1.26 (found $gv)"; fi
  fi
fi
[ "$fail" -eq 0 ] || { echo "install the missing prerequisites and run again" >&2; exit 1; }
