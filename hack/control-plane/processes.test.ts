import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManagedProcess, reapOrphans } from "./processes";

const dir = mkdtempSync(join(tmpdir(), "processes-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("reapOrphans leaves processes of a live owner alone, and kills those of the given run", async () => {
  const runId = `test-${process.pid}-${Date.now()}`;
  const saved = process.env.VIDRA_PEPR_RUN_ID;
  process.env.VIDRA_PEPR_RUN_ID = runId;
  const p = ManagedProcess.start({
    name: "sleeper",
    command: "sleep",
    args: ["60"],
    logFile: join(dir, "sleep.log"),
  });
  process.env.VIDRA_PEPR_RUN_ID = saved;
  try {
    expect(reapOrphans()).toBe(0);
    expect(p.running).toBe(true);
    expect(reapOrphans({ runId: "another-run" })).toBe(0);
    expect(reapOrphans({ runId })).toBe(1);
    await p.waitForExit();
    expect(p.describeExit()).toBe("killed by SIGKILL");
  } finally {
    await p.stop(1000);
  }
});

test("stop() ends a process with SIGTERM and reports it", async () => {
  const p = ManagedProcess.start({
    name: "sleeper",
    command: "sleep",
    args: ["60"],
    logFile: join(dir, "sleep2.log"),
  });
  await p.stop(5000);
  expect(p.running).toBe(false);
  expect(p.describeExit()).toBe("killed by SIGTERM");
});

function groupMembers(pgid: number): number[] {
  try {
    return execFileSync("pgrep", ["-g", String(pgid)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

test("a process in its own group is stopped with everything it forked", async () => {
  const p = ManagedProcess.start({
    name: "forker",
    command: "sh",
    args: ["-c", "sleep 60 & sleep 60 & wait"],
    logFile: join(dir, "forker.log"),
    ownGroup: true,
  });
  const pgid = p.pid!;
  await eventually(() => groupMembers(pgid).length === 3);
  await p.stop(5000);
  await eventually(() => groupMembers(pgid).length === 0);
});

test("reapOrphans kills the whole group of a group leader of the given run", async () => {
  const runId = `test-group-${process.pid}-${Date.now()}`;
  const saved = process.env.VIDRA_PEPR_RUN_ID;
  process.env.VIDRA_PEPR_RUN_ID = runId;
  const p = ManagedProcess.start({
    name: "forker",
    command: "sh",
    args: ["-c", "sleep 60 & wait"],
    logFile: join(dir, "forker2.log"),
    ownGroup: true,
  });
  process.env.VIDRA_PEPR_RUN_ID = saved;
  const pgid = p.pid!;
  try {
    await eventually(() => groupMembers(pgid).length === 2);
    expect(reapOrphans({ runId })).toBe(1);
    await eventually(() => groupMembers(pgid).length === 0);
  } finally {
    await p.stop(1000);
  }
});

async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise(r => setTimeout(r, 50));
  }
}
