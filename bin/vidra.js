#!/usr/bin/env node
// `npx vidra …`: the CLI is TypeScript, run through tsx, like the project's other scripts (it is
// used from a checkout of this repository, where tsx is installed).
require("tsx/cjs");
require("../capabilities/lib/cli/main.ts").main();
