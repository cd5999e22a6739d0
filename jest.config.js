// Jest runs TypeScript through ts-jest. Pepr's kubernetes-fluent-client and @kubernetes/client-node
// are ESM, which Jest's CommonJS runtime cannot require on Node 20, so they are transformed too.
const esmDeps = [
  "kubernetes-fluent-client",
  "@kubernetes/client-node",
  "openid-client",
  "oauth4webapi",
  "jose",
  "hpagent",
  "fetch-blob",
  "node-fetch",
  "data-uri-to-buffer",
  "formdata-polyfill",
];
const transform = {
  "^.+\\.[tj]sx?$": [
    "ts-jest",
    {
      diagnostics: { ignoreCodes: ["TS151001"] },
      tsconfig: {
        allowJs: true,
        module: "commonjs",
        target: "es2022",
        esModuleInterop: true,
        resolveJsonModule: true,
        strict: true,
        types: ["node", "jest"],
      },
    },
  ],
};
const { execFileSync } = require("node:child_process");

/**
 * The end-to-end tests against a real Infrahub (tests/real-infrahub) run whenever a real Infrahub
 * is installed (`npm run infrahub:install`, which .ci/run always does) or one from
 * `npm run infrahub:up` is selected with VIDRA_PEPR_REAL_INFRAHUB=up.
 */
function realInfrahubAvailable() {
  if (process.env.VIDRA_PEPR_REAL_INFRAHUB === "up") return true;
  try {
    execFileSync("bash", [`${__dirname}/hack/real-infrahub/install.sh`, "--check"], {
      stdio: "ignore",
    });
    return true;
  } catch {
    return false;
  }
}

const common = {
  testEnvironment: "node",
  transform,
  transformIgnorePatterns: [`/node_modules/(?!(${esmDeps.join("|")})/)`],
  modulePathIgnorePatterns: ["<rootDir>/dist/"],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...common,
      displayName: "unit",
      testMatch: ["<rootDir>/capabilities/**/*.test.ts", "<rootDir>/hack/**/*.test.ts"],
    },
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/tests/**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", "<rootDir>/tests/real-infrahub/"],
      // Each integration file starts its own control plane; they share two cores.
      setupFilesAfterEnv: ["<rootDir>/tests/support/jest-setup.ts"],
    },
    ...(realInfrahubAvailable()
      ? [
          {
            ...common,
            displayName: "real-infrahub",
            testMatch: ["<rootDir>/tests/real-infrahub/**/*.test.ts"],
            setupFilesAfterEnv: ["<rootDir>/tests/real-infrahub/support/jest-setup.ts"],
            // One shared, seeded Infrahub per run, started in the background (shared-stack.ts).
            globalSetup: "<rootDir>/tests/real-infrahub/support/global-setup.ts",
            globalTeardown: "<rootDir>/tests/real-infrahub/support/global-teardown.ts",
          },
        ]
      : []),
  ],
  // Integration tests spend most of their time waiting on servers: two at once halves the wall
  // time on the 2-core machines (measured: 8 min → 5 min for the whole suite).
  maxWorkers: 2,
  reporters: ["default", "<rootDir>/hack/jest-summary-reporter.js"],
  globalSetup: "<rootDir>/hack/jest-global-setup.ts",
  globalTeardown: "<rootDir>/hack/jest-global-teardown.ts",
};
