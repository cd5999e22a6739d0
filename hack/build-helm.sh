#!/usr/bin/env bash
# Builds helm from the Go module proxy into a version-keyed cache outside the repository, so the
# tests can lint and render the generated Helm chart with the real tool. Does nothing when the
# binary is already there. The pinned version lives in hack/helm-bin/go.mod (committed with its
# go.sum), a module of its own so its dependencies never change the control plane's build.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HELM_VERSION="$(sed -n 's#^[[:space:]]*helm.sh/helm/v4 \(v[0-9.]*\).*#\1#p' "$here/helm-bin/go.mod" | head -1)"
[[ -n "$HELM_VERSION" ]] || { echo "error: no helm.sh/helm/v4 version found in $here/helm-bin/go.mod" >&2; exit 1; }
CACHE_ROOT="${VIDRA_PEPR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vidra-pepr}"
BIN_DIR="$CACHE_ROOT/helm-$HELM_VERSION/bin"

if [[ "${1:-}" == "--print-dir" ]]; then echo "$BIN_DIR"; exit 0; fi

if [[ -x "$BIN_DIR/helm" ]]; then
  echo "helm $HELM_VERSION already built in $BIN_DIR"
  exit 0
fi

command -v go >/dev/null || { echo "error: Go (1.26 or newer) is needed to build helm $HELM_VERSION (for the chart tests); install it and retry" >&2; exit 1; }

# Built into a directory of its own and moved into place whole: an interrupted build never
# leaves a binary that the check above would take for a finished one.
tmp="$BIN_DIR.partial.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
echo "building helm $HELM_VERSION into $BIN_DIR (a cold build takes a few minutes on 2 cores)"
start=$(date +%s)
export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
(cd "$here/helm-bin" && go build -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" \
  -o "$tmp/helm" helm.sh/helm/v4/cmd/helm)
mkdir -p "$(dirname "$BIN_DIR")"
rm -rf "$BIN_DIR"
mv "$tmp" "$BIN_DIR"
trap - EXIT
echo "built helm $HELM_VERSION in $(( $(date +%s) - start ))s: $BIN_DIR/helm"
