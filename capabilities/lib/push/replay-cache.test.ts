import { ReplayCache } from "./replay-cache";

test("an id is accepted once within its time to live, then forgotten", () => {
  const cache = new ReplayCache(1000);
  expect(cache.remember("a", 0)).toBe(true);
  expect(cache.remember("a", 999)).toBe(false);
  expect(cache.remember("b", 500)).toBe(true);
  expect(cache.remember("a", 1000)).toBe(true);
  expect(cache.size).toBe(2);
  expect(cache.remember("c", 5000)).toBe(true);
  expect(cache.size).toBe(1);
});

test("the cache is bounded: the oldest id goes first", () => {
  const cache = new ReplayCache(60_000, 3);
  for (const id of ["a", "b", "c", "d"]) expect(cache.remember(id, 0)).toBe(true);
  expect(cache.size).toBe(3);
  expect(cache.remember("b", 1)).toBe(false);
  expect(cache.remember("a", 1)).toBe(true);
});
