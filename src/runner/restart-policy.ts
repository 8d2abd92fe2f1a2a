/**
 * Restart decisions for one instance, from fly.toml's `[[restart]]` (fly-platform.md 1.3):
 * `always`, `on-failure` (with `max_retries`) or `never`. Pure: the supervisor feeds it exits
 * and gets back whether and when to start again.
 */

export interface RestartSpec {
  policy: 'always' | 'on-failure' | 'never'
  /** `on-failure` only: restarts allowed before giving up (`fatal`); absent = no limit. */
  maxRetries?: number
}

export interface Backoff {
  /** Delay before the first restart. */
  initialMs: number
  factor: number
  /** Cap for the delay. */
  maxMs: number
  /** A run at least this long counts as stable: delay and retry count start over. */
  stableMs: number
  /** Consecutive unstable restarts from which the instance is reported as crash-looping. */
  crashLoopAfter: number
}

// Docker's engine starts at 100 ms and doubles; supervisord waits 1 s, 2 s, 3 s. Half a second
// keeps a typo'd command from spinning the CPU while still restarting a one-off crash promptly.
export const defaultBackoff: Backoff = {initialMs: 500, factor: 2, maxMs: 30_000, stableMs: 10_000, crashLoopAfter: 3}

export interface ExitInfo {
  code: number | null
  signal: NodeJS.Signals | null
  /** How long the process ran, start to exit. */
  ranMs: number
}

export type RestartDecision =
  | {restart: true; delayMs: number; attempt: number; crashLoop: boolean}
  | {restart: false; reason: 'clean-exit' | 'policy-never' | 'retries-exhausted'}

export const failed = (exit: Pick<ExitInfo, 'code' | 'signal'>): boolean => exit.code !== 0 || exit.signal !== null

export class RestartTracker {
  /** Restarts since the last stable run; drives the delay and the crash-loop flag. */
  #unstable = 0
  /** `on-failure` retries used since the last stable run (Fly counts per failure streak). */
  #retries = 0

  constructor(
    readonly spec: RestartSpec,
    readonly backoff: Backoff = defaultBackoff,
  ) {}

  /** True once `crashLoopAfter` restarts in a row each ran shorter than `stableMs`. */
  get crashLoop(): boolean {
    return this.#unstable >= this.backoff.crashLoopAfter
  }

  next(exit: ExitInfo): RestartDecision {
    if (exit.ranMs >= this.backoff.stableMs) {
      this.#unstable = 0
      this.#retries = 0
    }
    if (this.spec.policy === 'never') return {restart: false, reason: 'policy-never'}
    if (this.spec.policy === 'on-failure') {
      if (!failed(exit)) return {restart: false, reason: 'clean-exit'}
      if (this.spec.maxRetries !== undefined && this.#retries >= this.spec.maxRetries) {
        return {restart: false, reason: 'retries-exhausted'}
      }
      this.#retries++
    }
    const {initialMs, factor, maxMs} = this.backoff
    const delayMs = Math.min(maxMs, initialMs * factor ** this.#unstable)
    this.#unstable++
    return {restart: true, delayMs, attempt: this.#unstable, crashLoop: this.crashLoop}
  }

  /** A manual restart or stop: the user intervened, so the streak is over. */
  reset(): void {
    this.#unstable = 0
    this.#retries = 0
  }
}
