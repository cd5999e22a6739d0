import { InfrahubConfigError } from "./errors";
import { bodyExcerpt, normaliseAddress, presentMessages, scrubSecrets } from "./redact";

describe("scrubSecrets", () => {
  it("replaces known secrets, longest first", () => {
    expect(scrubSecrets("user hunter2 typed hunter2-extra", ["hunter2", "hunter2-extra"])).toBe(
      "user [redacted] typed [redacted]",
    );
  });

  it("replaces anything shaped like a JWT", () => {
    const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln";
    expect(scrubSecrets(`Bearer ${token} rejected`, [])).toBe("Bearer [redacted] rejected");
  });

  it("removes user info from URLs", () => {
    expect(scrubSecrets("see https://admin:pw@infrahub.test/x", [])).toBe(
      "see https://[redacted]@infrahub.test/x",
    );
  });

  it("ignores secrets too short to be meaningful", () => {
    expect(scrubSecrets("a b", ["a"])).toBe("a b");
  });
});

describe("presentMessages", () => {
  const jwt = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: "x".repeat(200) })).toString("base64url")}.c2lnbmF0dXJl`;

  it("scrubs before shortening, so a token cut by the limit cannot leak in part", () => {
    const [message] = presentMessages([`${"a".repeat(280)} ${jwt} tail`], [jwt]);
    expect(message).toBe(`${"a".repeat(280)} [redacted] tail`);
  });

  it("shortens long messages to 300 characters", () => {
    const [message] = presentMessages(["b".repeat(1000)], []);
    expect(message).toBe(`${"b".repeat(300)}…`);
  });

  it("redacts a partial JWT it was not told about", () => {
    expect(presentMessages([`token ${jwt.slice(0, 60)}`], [])).toEqual(["token [redacted]"]);
  });
});

describe("normaliseAddress", () => {
  it.each([
    ["https://infrahub.example.com", "https://infrahub.example.com"],
    ["https://infrahub.example.com/", "https://infrahub.example.com"],
    ["http://127.0.0.1:8000//", "http://127.0.0.1:8000"],
    [
      "https://admin:secret@infrahub.example.com:8443/prefix/?x=1#y",
      "https://infrahub.example.com:8443/prefix",
    ],
    [" http://Infrahub.Example.com ", "http://infrahub.example.com"],
  ])("%s → %s", (input, expected) => {
    expect(normaliseAddress(input)).toBe(expected);
  });

  it("rejects other schemes", () => {
    expect(() => normaliseAddress("ftp://infrahub")).toThrow(InfrahubConfigError);
  });

  it("rejects garbage without echoing credentials", () => {
    let message = "";
    try {
      normaliseAddress("http//admin:s3cr3t@");
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/not a valid URL/);
    expect(message).not.toContain("s3cr3t");
  });
});

describe("bodyExcerpt", () => {
  it("is short, printable and scrubbed", () => {
    const body = Buffer.concat([
      Buffer.from("<html>\x00\x01 token=hunter2 "),
      Buffer.alloc(500, "a"),
    ]);
    const excerpt = bodyExcerpt(body, ["hunter2"], 40);
    expect(excerpt.startsWith("<html> token=[redacted] aaa")).toBe(true);
    expect(excerpt.length).toBe(41);
    expect(excerpt).not.toContain("hunter2");
  });
});
