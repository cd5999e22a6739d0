#!/usr/bin/env bash
# Builds the local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) and
# KWOK's controller (fake nodes that run pods) from the Go module proxy into a version-keyed cache
# outside the repository. Does nothing when the binaries are already there.
# The pinned versions live in hack/k8s-bins/go.mod and hack/k8s-bins/kwok/go.mod (committed with
# their go.sum). KWOK is a module of its own so its dependencies never change the API server's build.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
K8S_VERSION="$(sed -n 's#^[[:space:]]*k8s.io/kubernetes \(v[0-9.]*\).*#\1#p' "$here/k8s-bins/go.mod" | head -1)"
ETCD_VERSION="$(sed -n 's#^[[:space:]]*go.etcd.io/etcd/server/v3 \(v[0-9.]*\).*#\1#p' "$here/k8s-bins/go.mod" | head -1)"
KWOK_VERSION="$(sed -n 's#^[[:space:]]*sigs.k8s.io/kwok \(v[0-9.]*\).*#\1#p' "$here/k8s-bins/kwok/go.mod" | head -1)"
CACHE_ROOT="${VIDRA_PEPR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vidra-pepr}"
BIN_DIR="$CACHE_ROOT/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION/bin"
BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

if [[ "${1:-}" == "--print-dir" ]]; then echo "$BIN_DIR"; exit 0; fi

missing=()
for b in "${BINARIES[@]}"; do [[ -x "$BIN_DIR/$b" ]] || missing+=("$b"); done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "control plane $K8S_VERSION (etcd $ETCD_VERSION, kwok $KWOK_VERSION) already built in $BIN_DIR"
  exit 0
fi

# The cache directory names every version, so a new pin gets a new directory; a binary whose own
# version did not change is taken from an older directory instead of being rebuilt (a 20-minute
# kube-apiserver build saved when only KWOK moved, say).
same_version() { # <binary> <cache dir name>
  case "$1" in
    kube-*) [[ "$2" == "k8s-$K8S_VERSION-"* ]] ;;
    etcd) [[ "$2" == *"-etcd-$ETCD_VERSION" || "$2" == *"-etcd-$ETCD_VERSION-"* ]] ;;
    kwok) [[ "$2" == *"-kwok-$KWOK_VERSION" || "$2" == *"-kwok-$KWOK_VERSION-"* ]] ;;
    *) return 1 ;;
  esac
}

tmp="$BIN_DIR.partial.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
for b in "${BINARIES[@]}"; do
  if [[ -x "$BIN_DIR/$b" ]]; then cp -p "$BIN_DIR/$b" "$tmp/"; fi
done
to_build=()
for b in "${missing[@]}"; do
  for dir in "$CACHE_ROOT"/*/bin; do
    name="$(basename "$(dirname "$dir")")"
    if [[ "$dir" != "$BIN_DIR" && -x "$dir/$b" ]] && same_version "$b" "$name"; then
      # A hard link costs no space; another file system gets a copy.
      ln -f "$dir/$b" "$tmp/$b" 2>/dev/null || cp -p "$dir/$b" "$tmp/$b"
      echo "reusing $b from $dir"
      break
    fi
  done
  if [[ ! -x "$tmp/$b" ]]; then to_build+=("$b"); fi
done

start=$(date +%s)
if [[ ${#to_build[@]} -gt 0 ]]; then
  command -v go >/dev/null || { echo "error: Go (1.26 or newer) is needed to build the local control plane; install it and retry" >&2; exit 1; }
  echo "building ${to_build[*]} into $BIN_DIR (a cold build of everything takes 20-30 minutes on 2 cores)"
  export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  ldf="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  kube=()
  for b in "${to_build[@]}"; do
    case "$b" in
      kube-*) kube+=("k8s.io/kubernetes/cmd/$b") ;;
      etcd) (cd "$here/k8s-bins" && go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3) ;;
      kwok) (cd "$here/k8s-bins/kwok" && go build -trimpath -ldflags "-s -w" -o "$tmp/kwok" sigs.k8s.io/kwok/cmd/kwok) ;;
    esac
  done
  if [[ ${#kube[@]} -gt 0 ]]; then
    (cd "$here/k8s-bins" && go build -trimpath -ldflags "$ldf" -o "$tmp/" "${kube[@]}")
  fi
fi
mkdir -p "$(dirname "$BIN_DIR")"
rm -rf "$BIN_DIR"
mv "$tmp" "$BIN_DIR"
trap - EXIT
echo "built in $(( $(date +%s) - start ))s: $(ls "$BIN_DIR" | tr '\n' ' ')"
