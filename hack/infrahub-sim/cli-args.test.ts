import { parseCliArgs } from "./cli-args";

describe("parseCliArgs", () => {
  it("defaults to 127.0.0.1:8000 with the control API on", () => {
    expect(parseCliArgs([])).toEqual({ port: 8000, host: "127.0.0.1", controlApi: true });
  });

  it("reads every flag", () => {
    expect(
      parseCliArgs(["--port", "0", "--host", "localhost", "--seed", "s.yaml", "--no-control-api"]),
    ).toEqual({
      port: 0,
      host: "localhost",
      seed: "s.yaml",
      controlApi: false,
    });
  });

  it.each([
    [["--port"], /--port needs a value/],
    [["--port", "70000"], /--port must be 0-65535/],
    [["--seed", "--port"], /--seed needs a value/],
    [["--verbose"], /unknown argument --verbose/],
    [["--help"], /^usage: infrahub-sim/],
  ])("rejects %p", (argv, message) => {
    expect(() => parseCliArgs(argv as string[])).toThrow(message as RegExp);
  });
});
