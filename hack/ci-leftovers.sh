#!/usr/bin/env bash
# Lists the processes a CI run left behind: usage ci-leftovers.sh RUN_ID CI_PID.
# A process is this run's when its environment carries VIDRA_PEPR_RUN_ID=RUN_ID: every process
# the run starts inherits it (the harness passes its environment on to etcd, kube-apiserver, the
# module, the simulator, and every process of the real Infrahub), and processes that other work on
# the same machine started do not. Run it without the id in its own environment, so it does not
# find itself.
set -uo pipefail
run_id=$1 ci_pid=$2
for dir in /proc/[0-9]*; do
  pid=${dir#/proc/}
  [ "$pid" = "$ci_pid" ] && continue
  grep -qaz "^VIDRA_PEPR_RUN_ID=$run_id\$" "$dir/environ" 2>/dev/null || continue
  cmd=$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null)
  echo "$pid ${cmd:-?}"
done
exit 0
