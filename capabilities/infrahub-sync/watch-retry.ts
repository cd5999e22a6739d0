/**
 * Imported first by pepr.ts, before anything loads Pepr: Pepr reads its watch retry settings from the
 * environment when its library loads, so the operator's defaults (watches that never give up during
 * an API-server outage) must be in place by then. See ../lib/outage/pepr-watch.ts.
 */
import { applyWatchRetryDefaults } from "../lib/outage/pepr-watch";

applyWatchRetryDefaults();
