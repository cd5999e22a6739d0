#!/usr/bin/env bash
# Installs what a real Infrahub needs on this machine, without Docker, into a version-keyed cache
# outside the repository (the control plane's convention, see hack/build-control-plane.sh):
#
#   $CACHE/infrahub-$INFRAHUB_VERSION/
#     venv/                 Python >= 3.12 venv with infrahub-server (+ .vidra-pepr-installed stamp)
#     neo4j-$NEO4J_VERSION/ embedded Neo4j Community + Bolt jars from Maven Central, and a tiny Java main
#     installed             stamp: every part above verified (the test suite looks for it)
#
# Debian packages (redis-server, rabbitmq-server, git, maven while the jars are missing) are
# installed with apt-get when missing; their own services are not started (policy-rc.d / no
# systemd here), the harness runs its own instances on free ports.
#
#   bash hack/real-infrahub/install.sh               # install what is missing (idempotent)
#   bash hack/real-infrahub/install.sh --print-dir   # where the cache is
#   bash hack/real-infrahub/install.sh --check       # exit 0 when installed, 1 otherwise
#   bash hack/real-infrahub/install.sh --print-java  # the JDK (>= 21) Neo4j runs on
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INFRAHUB_VERSION=1.11.9
NEO4J_VERSION=2026.05.0
CACHE_ROOT="${VIDRA_PEPR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vidra-pepr}"
DIR="$CACHE_ROOT/infrahub-$INFRAHUB_VERSION"
VENV="$DIR/venv"
NEO="$DIR/neo4j-$NEO4J_VERSION"
STAMP="$DIR/installed"
RABBIT_BIN=/usr/lib/rabbitmq/bin # where Debian's rabbitmq-server package puts its scripts

# A JDK >= 21: Neo4j 2026.x refuses older ones, and /usr/bin/java may well be 17.
find_java_home() {
  local d v
  for d in "${NEO4J_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -n "$d" ] && [ -x "$d/bin/java" ] && [ -x "$d/bin/javac" ] || continue
    v=$("$d/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
    [ "${v:-0}" -ge 21 ] && { echo "$d"; return 0; }
  done
  return 1
}

case "${1:-}" in
  --print-dir) echo "$DIR"; exit 0 ;;
  --check) [ -f "$STAMP" ] && exit 0 || exit 1 ;;
  --print-java) find_java_home || { echo "no JDK >= 21 found (set NEO4J_JAVA_HOME)" >&2; exit 1; }; exit 0 ;;
  "") ;;
  *) echo "usage: $0 [--print-dir|--check|--print-java]" >&2; exit 2 ;;
esac

T0=$(date +%s)
log() { printf '[infrahub install %4ss] %s\n' $(( $(date +%s) - T0 )) "$*"; }
die() { log "error: $*" >&2; exit 1; }
mkdir -p "$DIR/logs"

venv_ok() {
  [ -f "$VENV/.vidra-pepr-installed" ] && return 0
  # A venv installed by other means (or by a run that died before writing the stamp) is accepted
  # once it holds the right version with every dependency satisfied.
  [ -x "$VENV/bin/infrahub" ] && [ -x "$VENV/bin/prefect" ] || return 1
  [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("infrahub-server"))' 2>/dev/null)" = "$INFRAHUB_VERSION" ] || return 1
  "$VENV/bin/python" -m pip check >"$DIR/logs/pip-check.log" 2>&1 || return 1
  echo "$INFRAHUB_VERSION" >"$VENV/.vidra-pepr-installed"
}
neo4j_ok() { [ -f "$NEO/.vidra-pepr-installed" ]; }

if [ -f "$STAMP" ] && venv_ok && neo4j_ok; then
  echo "real Infrahub $INFRAHUB_VERSION (Neo4j $NEO4J_VERSION) already installed in $DIR"
  exit 0
fi
rm -f "$STAMP"

# ---------------------------------------------------------------- Debian packages
need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
[ -x "$RABBIT_BIN/rabbitmq-server" ] || need_apt+=(rabbitmq-server)
command -v epmd >/dev/null || need_apt+=(erlang-base)
command -v git >/dev/null || need_apt+=(git)
neo4j_ok || command -v mvn >/dev/null || need_apt+=(maven)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}"; } \
    >"$DIR/logs/apt.log" 2>&1 || die "apt-get install failed, see $DIR/logs/apt.log"
fi

# ---------------------------------------------------------------- Python venv with infrahub-server
# infrahub-server 1.11.9 needs Python >= 3.12, < 3.15.
find_python() {
  local c root
  root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
  for c in "${PYTHON:-}" python3.12 python3.13 python3.14 python3 \
           "$root"/versions/3.12*/bin/python "$root"/versions/3.13*/bin/python "$root"/versions/3.14*/bin/python; do
    [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 || continue
    "$c" -c 'import sys, venv; sys.exit(0 if (3,12) <= sys.version_info[:2] < (3,15) else 1)' 2>/dev/null \
      && { command -v "$c"; return 0; }
  done
  return 1
}
if ! venv_ok; then
  PY=$(find_python) || die "no Python 3.12-3.14 found: install one (e.g. with pyenv) or set PYTHON=/path/to/python3.12"
  log "creating a venv with $PY and installing infrahub-server==$INFRAHUB_VERSION (about 2-3 min, 470 MB)"
  # A venv cannot be moved (its scripts name their interpreter by absolute path), so it is built
  # in place and only the stamp, written last, says it is complete.
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "infrahub-server==$INFRAHUB_VERSION" \
    >"$DIR/logs/pip.log" 2>&1 || die "pip install failed, see $DIR/logs/pip.log"
  venv_ok || die "the venv does not check out (see $DIR/logs/pip-check.log)"
  log "venv ready"
fi

# ---------------------------------------------------------------- Neo4j (embedded, with Bolt)
JAVA_HOME_21=$(find_java_home) || die "no JDK >= 21 found under /usr/lib/jvm: Neo4j $NEO4J_VERSION needs one (set NEO4J_JAVA_HOME)"
if ! neo4j_ok; then
  log "fetching Neo4j $NEO4J_VERSION jars from Maven Central (about 1.5 min, 136 MB)"
  rm -rf "$NEO"
  mkdir -p "$NEO/classes"
  # A private local repository: the cache stays self-contained and a parallel Maven run elsewhere
  # does not share its half-written files. It is dropped once the jars are copied.
  (cd "$here/neo4j" && JAVA_HOME=$JAVA_HOME_21 mvn -q -B -f pom.xml \
      -Dneo4j.version="$NEO4J_VERSION" -Dmaven.repo.local="$NEO/m2" \
      dependency:copy-dependencies -DoutputDirectory="$NEO/lib") >"$DIR/logs/mvn.log" 2>&1 \
    || die "mvn failed (is org.neo4j:neo4j:$NEO4J_VERSION on Maven Central reachable?), see $DIR/logs/mvn.log"
  rm -rf "$NEO/m2" "$here/neo4j/target"
  "$JAVA_HOME_21/bin/javac" -cp "$NEO/lib/*" -d "$NEO/classes" "$here/neo4j/Neo4jMain.java" \
    || die "javac Neo4jMain failed"
  echo "$NEO4J_VERSION" >"$NEO/.vidra-pepr-installed"
  log "Neo4j jars ready ($(ls "$NEO/lib" | wc -l) jars)"
fi

date -u +%Y-%m-%dT%H:%M:%SZ >"$STAMP"
log "real Infrahub $INFRAHUB_VERSION installed in $DIR (Java for Neo4j: $JAVA_HOME_21)"
