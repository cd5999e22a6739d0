import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load, loadAll } from "js-yaml";
import { DemoError } from "./demo-error";
import { defaultParams, parseEdits, parseWebserver, renderWebserver } from "./webserver";

type Doc = {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
};

describe("renderWebserver", () => {
  test("renders Namespace, Deployment, Service and Ingress for one target, in that order", () => {
    const docs = loadAll(
      renderWebserver(
        defaultParams("web-07", { replicas: 4, image: "httpd:2.4", containerPort: 8080 }),
      ),
    ) as Doc[];
    expect(docs.map(d => d.kind)).toEqual(["Namespace", "Deployment", "Service", "Ingress"]);
    expect(docs[0].metadata.name).toBe("ns-web-07");
    expect(
      docs
        .slice(1)
        .every(d => d.metadata.namespace === "ns-web-07" && d.metadata.name === "web-07"),
    ).toBe(true);
    const deployment = docs[1].spec as {
      replicas: number;
      template: {
        spec: { containers: Array<{ image: string; ports: Array<{ containerPort: number }> }> };
      };
    };
    expect(deployment.replicas).toBe(4);
    expect(deployment.template.spec.containers[0]).toMatchObject({
      image: "httpd:2.4",
      ports: [{ containerPort: 8080 }],
    });
    expect(JSON.stringify(docs[2].spec)).toContain('"targetPort":8080');
    expect(JSON.stringify(docs[3].spec)).toContain('"host":"web-07.example.com"');
  });

  test("writes no YAML anchors, so the artifact reads like a hand-written manifest", () => {
    expect(renderWebserver(defaultParams("web-01"))).not.toMatch(/[&*]ref_/);
  });
});

describe("parseWebserver", () => {
  test("reads back exactly the parameters it was rendered from", () => {
    const p = defaultParams("web-02", {
      replicas: 0,
      image: "nginx:1.28",
      containerPort: 8443,
      host: "shop.example.org",
      namespace: "shop",
    });
    expect(parseWebserver(renderWebserver(p))).toEqual(p);
  });

  test("refuses a manifest of another shape, naming what is missing", () => {
    const configMapOnly = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: y}\n";
    expect(() => parseWebserver(configMapOnly)).toThrow(
      /not a webserver manifest of this demo \(no name, namespace, image, containerPort, host\)/,
    );
    expect(() => parseWebserver("a: [")).toThrow(DemoError);
  });
});

describe("the demo seed", () => {
  const seed = load(readFileSync(join(__dirname, "seed.yaml"), "utf8")) as {
    definitions: Array<{ name: string; artifactName: string }>;
    branches: Array<{ name: string }>;
    artifacts: Array<{ branch?: string; target: { label: string }; content: string }>;
  };

  test("is Vidra's webserver demo: one definition, three targets on main, a branch that differs", () => {
    expect(seed.definitions).toEqual([
      expect.objectContaining({
        name: "Webserver_Artifact_Definition",
        artifactName: "Webserver_Manifest",
      }),
    ]);
    expect(seed.artifacts.filter(a => !a.branch).map(a => a.target.label)).toEqual([
      "web-01",
      "web-02",
      "web-03",
    ]);
    expect(seed.branches.map(b => b.name)).toEqual(["feature-scale"]);
    const onBranch = seed.artifacts.filter(a => a.branch === "feature-scale");
    const mainWeb02 = seed.artifacts.find(a => !a.branch && a.target.label === "web-02")!;
    const branchWeb02 = onBranch.find(a => a.target.label === "web-02")!;
    expect(parseWebserver(branchWeb02.content).replicas).not.toBe(
      parseWebserver(mainWeb02.content).replicas,
    );
    expect(onBranch.map(a => a.target.label)).toContain("web-04");
  });

  test("every artifact is what renderWebserver makes of its parameters, so demo:edit can re-render it", () => {
    for (const a of seed.artifacts) {
      const params = parseWebserver(a.content);
      expect(params.name).toBe(a.target.label);
      expect(renderWebserver(params)).toBe(a.content);
    }
  });
});

describe("parseEdits", () => {
  test("turns key=value pairs into parameter changes", () => {
    expect(
      parseEdits([
        "replicas=5",
        "image=nginx:1.28",
        "port=8080",
        "host=a.example.com",
        "namespace=team-a",
      ]),
    ).toEqual({
      replicas: 5,
      image: "nginx:1.28",
      containerPort: 8080,
      host: "a.example.com",
      namespace: "team-a",
    });
  });

  test.each([
    [["replicas=-1"], /replicas must be a whole number from 0 to 1000, not "-1"/],
    [["replicas=2.5"], /whole number/],
    [["port=70000"], /port must be a whole number from 1 to 65535/],
    [["namespace=Not_Valid"], /"Not_Valid" is not a valid namespace/],
    [
      ["colour=red"],
      /"colour=red" is not key=value with a known key \(replicas, image, port, host, namespace\)/,
    ],
    [["replicas"], /not key=value/],
    [[], /say what to change/],
  ])("refuses %j", (args, message) => {
    expect(() => parseEdits(args)).toThrow(message);
  });
});
