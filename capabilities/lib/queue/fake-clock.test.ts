import { FakeClock } from "./fake-clock";

describe("FakeClock", () => {
  it("fires due timers in time order, then in the order they were set", () => {
    const clock = new FakeClock(100);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push("b@20"), 20);
    clock.setTimeout(() => fired.push("a@10"), 10);
    clock.setTimeout(() => fired.push("c@20"), 20);
    clock.setTimeout(() => fired.push("d@50"), 50);
    expect(clock.nextAt).toBe(110);
    clock.advance(20);
    expect(fired).toEqual(["a@10", "b@20", "c@20"]);
    expect(clock.now()).toBe(120);
    expect(clock.pending).toBe(1);
  });

  it("runs timers set by timers when they fall due within the same advance", () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
    }, 5);
    clock.advance(10);
    expect(fired).toEqual([5, 10]);
  });

  it("does not fire cleared timers", () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    const h = clock.setTimeout(() => fired.push("x"), 1);
    clock.clearTimeout(h);
    clock.advance(10);
    expect(fired).toEqual([]);
    expect(clock.nextAt).toBeUndefined();
  });
});
