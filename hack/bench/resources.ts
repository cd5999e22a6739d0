import { readdirSync, readFileSync } from "node:fs";
import { clockTicks } from "./clock-ticks";

export interface ResourceSample {
  syncs: number;
  rssMiB: number;
  /** CPU used by the module process over the window, as a share of one core. */
  cpuPercent: number;
  windowSeconds: number;
}

function cpuSeconds(pid: number): number {
  // /proc/<pid>/stat: fields 14 and 15 are utime and stime in clock ticks; the command name (field
  // 2) may hold spaces, so count from the closing parenthesis.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN; // the process is gone
  }
}

/**
 * The processes whose command line mentions `text` (the control plane's etcd and kube-apiserver
 * name files in its own directory), so the benchmark can watch what the cluster costs too.
 */
export function pidsWithArgument(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(text)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** Benchmark 4: the module's memory and CPU over a steady window. */
export async function sampleResources(
  pid: number,
  syncs: number,
  windowSeconds: number,
): Promise<ResourceSample> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  const rss: number[] = [];
  while (performance.now() - t0 < windowSeconds * 1000) {
    rss.push(rssMiB(pid));
    await new Promise(r => setTimeout(r, 1000));
  }
  const wall = (performance.now() - t0) / 1000;
  return {
    syncs,
    rssMiB: Math.max(...rss),
    cpuPercent: (100 * (cpuSeconds(pid) - c0)) / wall,
    windowSeconds: Math.round(wall),
  };
}
