import { recordingLogger, type LogRecord } from "../logger";
import { ApiServerMonitor } from "./apiserver-monitor";

describe("ApiServerMonitor", () => {
  it("reports an outage once when it starts and once when it ends, with its length", async () => {
    let now = 1_000;
    let answering = true;
    const logs: LogRecord[] = [];
    const events: string[] = [];
    const m = new ApiServerMonitor({
      probe: async () => {
        if (!answering) throw new Error("connect ECONNREFUSED 127.0.0.1:6443");
      },
      now: () => now,
      logger: recordingLogger(logs),
      onDown: reason => events.push(`down: ${reason}`),
      onUp: ms => events.push(`up after ${ms} ms`),
    });
    await m.check();
    expect(m.up).toBe(true);
    answering = false;
    await m.check();
    // One failed probe is not an outage yet (a slow answer); the second one is, counted from the first.
    expect(m.up).toBe(true);
    now += 60_000;
    await m.check();
    expect(m.up).toBe(false);
    expect(m.downForMs).toBe(60_000);
    now += 60_000;
    answering = true;
    await m.check();
    await m.check();
    expect(m.up).toBe(true);
    expect(m.downForMs).toBe(0);
    expect(events).toEqual(["down: connect ECONNREFUSED 127.0.0.1:6443", "up after 120000 ms"]);
    expect(logs.map(l => [l.level, l.msg])).toEqual([
      [
        "warn",
        "the API server is unreachable; watches and reconciles keep retrying until it is back",
      ],
      ["info", "the API server is reachable again; resuming watches and reconciling everything"],
    ]);
  });

  it("shares one probe between concurrent checks", async () => {
    let probes = 0;
    const m = new ApiServerMonitor({
      probe: async () => {
        probes++;
        await new Promise(r => setTimeout(r, 5));
      },
    });
    await Promise.all([m.check(), m.check(), m.check()]);
    expect(probes).toBe(1);
  });

  it("probes on its own once started, and stops", async () => {
    let probes = 0;
    const m = new ApiServerMonitor({ probe: async () => void probes++, intervalMs: 5 });
    m.start();
    await new Promise(r => setTimeout(r, 60));
    m.stop();
    const seen = probes;
    expect(seen).toBeGreaterThan(0);
    await new Promise(r => setTimeout(r, 30));
    expect(probes).toBe(seen);
  });

  it("does not count one failed probe between good ones as an outage", async () => {
    let fail = false;
    const events: string[] = [];
    const m = new ApiServerMonitor({
      probe: async () => {
        if (fail) throw new Error("no answer within 5000 ms");
      },
      onDown: () => events.push("down"),
      onUp: () => events.push("up"),
    });
    for (const f of [false, true, false, true, false]) {
      fail = f;
      await m.check();
    }
    expect(events).toEqual([]);
    expect(m.up).toBe(true);
  });
});
