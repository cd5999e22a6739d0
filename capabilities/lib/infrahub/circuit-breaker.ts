import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from "cockatiel";
import type { Logger } from "../logger";
import { errorMessage } from "../errors";
import { InfrahubCircuitOpenError, InfrahubError } from "./errors";
import { countsAsOutage } from "./retry-decisions";
import type { CircuitStateName } from "./types";

const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half-open",
  [CircuitState.Isolated]: "open",
};

/**
 * The circuit breaker of one Infrahub address, shared by every client (and so every sync) that
 * talks to it: after N consecutive transient failures no request is sent until the half-open
 * delay has passed, then one trial request decides. 4xx answers (429 included: a shedding
 * server is up) and stored queries failing in Infrahub neither count nor reset; in the half-open
 * state any answer but an outage closes the circuit.
 */
export class AddressBreaker {
  private readonly policy: CircuitBreakerPolicy;
  private openedAt = 0;
  /** What the last failure that counted was: the open circuit's message says it. */
  private lastFailure: string | undefined;

  constructor(
    readonly address: string,
    private readonly opts: { consecutiveFailures: number; halfOpenAfterMs: number },
    logger: Logger,
    onChange?: (change: { address: string; state: CircuitStateName }) => void,
  ) {
    this.policy = circuitBreaker(handleWhen(countsAsOutage), {
      halfOpenAfter: opts.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(opts.consecutiveFailures),
    });
    // cockatiel measures the open period with Date.now(); so do we, to report the same instant.
    this.policy.onBreak(() => {
      this.openedAt = Date.now();
    });
    this.policy.onStateChange(state => {
      const name = STATE_NAMES[state];
      const log = name === "open" ? logger.warn.bind(logger) : logger.info.bind(logger);
      log({ address, circuit: name }, `Infrahub circuit breaker is now ${name}`);
      try {
        onChange?.({ address, state: name });
      } catch {
        /* a failing observer must not break requests */
      }
    });
  }

  get state(): CircuitStateName {
    return STATE_NAMES[this.policy.state];
  }

  /** Runs `fn` unless the circuit is open. @throws InfrahubCircuitOpenError when it is */
  async execute<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.policy.execute(fn);
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        throw new InfrahubCircuitOpenError(
          this.address,
          this.openedAt + this.opts.halfOpenAfterMs,
          Date.now(),
          this.opts.consecutiveFailures,
          this.lastFailure,
        );
      }
      if (countsAsOutage(err))
        this.lastFailure = err instanceof InfrahubError ? err.failure : errorMessage(err);
      throw err;
    }
  }
}
