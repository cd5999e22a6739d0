import { outcomeConditions } from "./conditions";

test("a condition message is one line, whatever the error text looked like", () => {
  const [ready] = outcomeConditions(
    [],
    {
      kind: "failed",
      reason: "InvalidManifest",
      message: "bad indentation\n\n  1 | a: b\n  2 |  c: d\r\n",
      stalled: false,
    },
    1,
    new Date(),
  );
  expect(ready.message).toBe("bad indentation; 1 | a: b; 2 |  c: d");
});
