import { selectorQuery } from "./health";

test("label selectors in query syntax", () => {
  expect(selectorQuery({ matchLabels: { app: "web", tier: "front" } })).toBe("app=web,tier=front");
  expect(
    selectorQuery({
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "env", operator: "In", values: ["prod", "staging"] },
        { key: "canary", operator: "NotIn", values: ["true"] },
        { key: "team", operator: "Exists" },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    }),
  ).toBe("app=web,env in (prod,staging),canary notin (true),team,!legacy");
  expect(selectorQuery({})).toBeUndefined();
  expect(selectorQuery(undefined)).toBeUndefined();
});
