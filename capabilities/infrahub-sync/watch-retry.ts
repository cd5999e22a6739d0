/**
 * Imported first by pepr.ts, before anything loads Pepr: Pepr reads its watch retry settings from the
 * environment when its library loads, so the operator's defaults (watches that never give up during
 * an API-server outage) must be in place by then. See ../lib/kube/pepr-watch.ts.
 */
import { applyWatchRetryDefaults } from "../lib/kube/pepr-watch";

applyWatchRetryDefaults();
