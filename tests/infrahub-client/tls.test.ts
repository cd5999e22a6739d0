import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { InfrahubSimulator } from "../../hack/infrahub-sim";
import {
  InfrahubConfigError,
  InfrahubTlsError,
  type InfrahubConnection,
} from "../../capabilities/lib/infrahub";
import {
  ARTIFACT_NAME,
  harness,
  PASSWORD,
  rejectionOf,
  seedArtifacts,
  startSim,
  USER,
  type Harness,
} from "./helpers";

const fixture = (name: string) => readFileSync(path.join(__dirname, "fixtures", name), "utf8");
const CA = fixture("ca.crt");

let sim: InfrahubSimulator;
let proxy: https.Server;
let httpsUrl: string;
let h: Harness;

/** HTTPS in front of the simulator, with a certificate signed by the test CA. */
beforeAll(async () => {
  sim = await startSim();
  seedArtifacts(sim, 2);
  const target = new URL(sim.url);
  proxy = https.createServer(
    { cert: fixture("server.crt"), key: fixture("server.key") },
    (req, res) => {
      const upstream = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        answer => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    },
  );
  await new Promise<void>(resolve => proxy.listen(0, "127.0.0.1", resolve));
  httpsUrl = `https://localhost:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise(resolve => proxy.close(resolve));
  await sim.stop();
});

beforeEach(() => {
  h = harness();
  sim.resetCounts();
});

afterEach(() => h.registry.close());

const conn = (tls: InfrahubConnection["tls"], url = httpsUrl): InfrahubConnection => ({
  url,
  auth: { kind: "password", username: USER, password: PASSWORD },
  tls,
});

describe("TLS", () => {
  it("verifies the server by default and does not retry a failed verification", async () => {
    const err = await rejectionOf(
      h.registry.get(conn(undefined)).findArtifacts({ branch: "main" }),
    );
    expect(err).toBeInstanceOf(InfrahubTlsError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("CA bundle");
    expect(h.observations).toHaveLength(1);
    expect(sim.requestCounts()).toEqual({});
  });

  it("trusts a custom CA bundle", async () => {
    const client = h.registry.get(conn({ caPem: CA }));
    const { ready } = await client.findArtifactsByStoredQuery({
      queryName: "ArtifactIDs",
      artifactName: ARTIFACT_NAME,
      branch: "main",
    });
    expect(ready).toHaveLength(2);
    expect(await client.downloadArtifact(ready[0], { branch: "main" })).toContain(
      "kind: ConfigMap",
    );
  });

  it("checks the host name against the certificate", async () => {
    const wrongName = https.createServer(
      { cert: fixture("wrong-name.crt"), key: fixture("wrong-name.key") },
      (_req, res) => res.end("{}"),
    );
    await new Promise<void>(resolve => wrongName.listen(0, "127.0.0.1", resolve));
    try {
      const url = `https://localhost:${(wrongName.address() as AddressInfo).port}`;
      const err = await rejectionOf(h.registry.get(conn({ caPem: CA }, url)).info());
      expect(err).toBeInstanceOf(InfrahubTlsError);
      expect(err.message).toContain("ERR_TLS_CERT_ALTNAME_INVALID");
    } finally {
      h.registry.close();
      wrongName.closeAllConnections();
      await new Promise(resolve => wrongName.close(resolve));
    }
  });

  it("rejects a certificate signed by another CA than the bundle", async () => {
    const err = await rejectionOf(h.registry.get(conn({ caPem: fixture("other-ca.crt") })).info());
    expect(err).toBeInstanceOf(InfrahubTlsError);
  });

  it("skips verification only when told to", async () => {
    expect(
      (
        await h.registry
          .get(conn({ insecureSkipTlsVerify: true }))
          .findArtifacts({ branch: "main" })
      ).ready,
    ).toHaveLength(2);
  });

  it("keeps separate connection pools per TLS setting", () => {
    const verified = h.registry.get(conn({ caPem: CA }));
    const insecure = h.registry.get(conn({ insecureSkipTlsVerify: true }));
    expect(verified).not.toBe(insecure);
    expect(h.registry.get(conn({ caPem: CA }))).toBe(verified);
  });

  it("refuses a CA bundle that is not PEM, naming no secret", () => {
    expect(() => h.registry.get(conn({ caPem: "garbage" }))).toThrow(InfrahubConfigError);
  });
});
