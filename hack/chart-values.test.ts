import { withWatcherValue } from "./chart-values";

describe("withWatcherValue", () => {
  it("replaces the key within watcher: only, nested lines included, and leaves later sections alone", () => {
    const values =
      "watcher:\n  replicas: 3\n  nodeFlags:\n    - '--a'\n  env: []\nadmission:\n  replicas: 2\n  nodeFlags:\n    - '--b'\n";
    const once = withWatcherValue(values, "nodeFlags", ["  nodeFlags:", "    - '--c'"]);
    expect(once).toBe(
      "watcher:\n  nodeFlags:\n    - '--c'\n  replicas: 3\n  env: []\nadmission:\n  replicas: 2\n  nodeFlags:\n    - '--b'\n",
    );
    expect(withWatcherValue(once, "replicas", ["  replicas: 1"])).toBe(
      "watcher:\n  replicas: 1\n  nodeFlags:\n    - '--c'\n  env: []\nadmission:\n  replicas: 2\n  nodeFlags:\n    - '--b'\n",
    );
  });

  it("says so when there is no watcher: section", () => {
    expect(() => withWatcherValue("admission: {}\n", "replicas", ["  replicas: 1"])).toThrow(
      "no watcher: section",
    );
  });
});
