import { PUSH_DEFAULTS, pushConfigFromEnv } from "./push-config";

test("defaults: on, HTTPS on 8443, 5 minutes of tolerance, 64 KiB bodies", () => {
  expect(pushConfigFromEnv({})).toEqual(PUSH_DEFAULTS);
  expect(PUSH_DEFAULTS).toMatchObject({ port: 8443, plainHttp: false, toleranceMs: 300_000 });
});

test("every variable is read, and a bad value names its variable", () => {
  expect(
    pushConfigFromEnv({
      VIDRA_WEBHOOK_RECEIVER: "off",
      VIDRA_WEBHOOK_HOST: "127.0.0.1",
      VIDRA_WEBHOOK_PORT: "0",
      VIDRA_WEBHOOK_PLAIN_HTTP: "true",
      VIDRA_WEBHOOK_TOLERANCE: "90s",
      VIDRA_WEBHOOK_MAX_BODY_BYTES: "2048",
      VIDRA_WEBHOOK_REPLAY_CACHE: "5",
      VIDRA_WEBHOOK_NAMESPACE: "vidra",
      VIDRA_WEBHOOK_DEBOUNCE: "0s",
    }),
  ).toEqual({
    enabled: false,
    host: "127.0.0.1",
    port: 0,
    plainHttp: true,
    toleranceMs: 90_000,
    maxBodyBytes: 2048,
    replayCacheSize: 5,
    namespace: "vidra",
    debounceMs: 0,
  });
  expect(() => pushConfigFromEnv({ VIDRA_WEBHOOK_PORT: "http" })).toThrow(/VIDRA_WEBHOOK_PORT/);
  expect(() => pushConfigFromEnv({ VIDRA_WEBHOOK_TOLERANCE: "5" })).toThrow(
    /VIDRA_WEBHOOK_TOLERANCE/,
  );
  expect(() => pushConfigFromEnv({ VIDRA_WEBHOOK_TOLERANCE: "10ms" })).toThrow(/at least/);
  expect(() => pushConfigFromEnv({ VIDRA_WEBHOOK_PLAIN_HTTP: "maybe" })).toThrow(/PLAIN_HTTP/);
});
