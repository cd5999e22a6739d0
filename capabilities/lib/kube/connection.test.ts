import { connectionFromKubeconfig, impersonating } from "./connection";

const kubeconfig = (user: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    "current-context": "c",
    contexts: [{ name: "c", context: { cluster: "k", user: "u" } }],
    clusters: [{ name: "k", cluster: { server: "https://k.example:6443/" } }],
    users: [{ name: "u", user }],
  });

test("a kubeconfig user's `as` becomes impersonateUser, as kubectl and client-node honour it", () => {
  const plain = connectionFromKubeconfig(kubeconfig({ token: "t" }), { origin: "test" });
  expect(plain.impersonateUser).toBeUndefined();
  const as = connectionFromKubeconfig(
    kubeconfig({ token: "t", as: "system:serviceaccount:ns:sa" }),
    { origin: "test" },
  );
  expect(as).toMatchObject({
    server: "https://k.example:6443",
    token: "t",
    impersonateUser: "system:serviceaccount:ns:sa",
  });
});

test("impersonating() keeps the credentials and says who it acts as", () => {
  const base = connectionFromKubeconfig(kubeconfig({ token: "t" }), { origin: "kubeconfig x" });
  expect(impersonating(base, "system:serviceaccount:a:b")).toEqual({
    ...base,
    impersonateUser: "system:serviceaccount:a:b",
    origin: "kubeconfig x as system:serviceaccount:a:b",
  });
});
