import type { IntendedDifference } from "./compare";

/**
 * Cases where the simulator answers differently from infrahub-server on purpose. Each entry is
 * also listed in hack/infrahub-sim/README.md ("Intended differences"). An entry whose case
 * matches again is reported by the comparison, so this list cannot go stale.
 */
export const INTENDED_DIFFERENCES: IntendedDifference[] = [
  {
    case: "shape/target-kind",
    parts: ["body"],
    why: "the simulator serves the artifact kinds only; target kinds exist as types (for `object { node { __typename } }`) but not as top-level queries, since their attributes come from a user schema it does not have",
  },
];
