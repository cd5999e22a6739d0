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
