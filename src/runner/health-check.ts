/**
 * Health checks as Fly runs them (fly-platform.md 1.3, `[checks]` and service checks): http
 * (2xx/3xx passes) and tcp (a connection opens), each after `grace_period`, every `interval`,
 * failing after `timeout`. Checks never restart anything on Fly (they gate routing), so here
 * they only report.
 */
import {connect} from 'node:net'
import type {Dispatcher} from 'undici'

export interface CheckSpec {
  /** The check's name in fly.toml (`[checks.NAME]`), or e.g. `http_service:0` for service checks. */
  name: string
  type: 'http' | 'tcp'
  /** Where to connect from the supervisor's side: the instance's address as reachable here. */
  host: string
  port: number
  graceMs: number
  intervalMs: number
  timeoutMs: number
  /** http only. */
  method?: string
  path?: string
  protocol?: 'http' | 'https'
  headers?: Record<string, string>
}

export type CheckStatus = 'passing' | 'critical'
export interface CheckResult {
  status: CheckStatus
  /** What the probe saw: `HTTP 200`, `connect ECONNREFUSED 127.0.0.2:8080`, `timeout after 2000 ms`. */
  output: string
  /** When the result was taken (ms since the epoch). */
  at: number
}

/**
 * `none`: the instance has no checks. `unknown`: not every check has a result yet.
 * `critical`: some check fails. `passing`: all pass.
 */
export type Health = 'none' | 'unknown' | 'passing' | 'critical'

// Until the first pass, probe at most this far apart (like compose's start_interval), so
// `up --wait` returns as soon as an app is ready, not a whole `interval` later.
const startIntervalMs = 500

/** Runs single probes; owns the HTTP connection pool. */
export class HealthProber {
  #agent: (Dispatcher & {close(): Promise<void>}) | undefined

  async probe(check: CheckSpec, stop: AbortSignal): Promise<Omit<CheckResult, 'at'>> {
    const signal = AbortSignal.any([stop, AbortSignal.timeout(check.timeoutMs)])
    try {
      return check.type === 'tcp' ? await tcpProbe(check, signal) : await this.#httpProbe(check, signal)
    } catch (error) {
      const output = signal.aborted && !stop.aborted ? `timeout after ${check.timeoutMs} ms` : (error as Error).message
      return {status: 'critical', output}
    }
  }

  async close(): Promise<void> {
    const agent = this.#agent
    this.#agent = undefined
    await agent?.close()
  }

  async #httpProbe(check: CheckSpec, signal: AbortSignal): Promise<Omit<CheckResult, 'at'>> {
    const {request, Agent} = await import('undici') // ~100 ms to load: only when a check runs
    // tls_skip_verify is moot locally: instances serve self-signed certificates if any.
    this.#agent ??= new Agent({connect: {rejectUnauthorized: false}})
    const host = check.host.includes(':') ? `[${check.host}]` : check.host
    const path = check.path ?? '/'
    const response = await request(`${check.protocol ?? 'http'}://${host}:${check.port}${path.startsWith('/') ? path : `/${path}`}`, {
      method: (check.method ?? 'GET').toUpperCase() as Dispatcher.HttpMethod,
      headers: check.headers ?? {},
      dispatcher: this.#agent,
      signal,
      reset: true, // a fresh connection per probe, as a checker from outside would make
    })
    await response.body.dump()
    const status = response.statusCode >= 200 && response.statusCode < 400 ? 'passing' : 'critical'
    return {status, output: `HTTP ${response.statusCode}`}
  }
}

function tcpProbe(check: CheckSpec, signal: AbortSignal): Promise<Omit<CheckResult, 'at'>> {
  return new Promise((resolve, reject) => {
    const socket = connect({host: check.host, port: check.port, signal})
    socket.once('connect', () => {
      socket.destroy()
      resolve({status: 'passing', output: `connected to ${check.host}:${check.port}`})
    })
    socket.once('error', reject)
  })
}

/** The checks of one running instance. Stop it when the run ends; a new run gets a new one. */
export class HealthMonitor {
  readonly results = new Map<string, CheckResult>()
  readonly #stop = new AbortController()
  readonly #timers = new Set<NodeJS.Timeout>()
  /** Checks that passed at least once in this run: from then on they keep their interval. */
  readonly #passed = new Set<string>()

  constructor(
    readonly checks: readonly CheckSpec[],
    readonly prober: HealthProber,
    readonly onResult: (check: CheckSpec, result: CheckResult, changed: boolean) => void,
  ) {}

  get health(): Health {
    if (this.checks.length === 0) return 'none'
    if (this.results.size < this.checks.length) return 'unknown'
    return [...this.results.values()].every((r) => r.status === 'passing') ? 'passing' : 'critical'
  }

  start(): void {
    for (const check of this.checks) this.#schedule(check, check.graceMs)
  }

  stop(): void {
    this.#stop.abort()
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
  }

  #schedule(check: CheckSpec, delayMs: number): void {
    const timer = setTimeout(async () => {
      this.#timers.delete(timer)
      const result = {...(await this.prober.probe(check, this.#stop.signal)), at: Date.now()}
      if (this.#stop.signal.aborted) return
      const previous = this.results.get(check.name)
      this.results.set(check.name, result)
      this.onResult(check, result, previous?.status !== result.status)
      if (result.status === 'passing') this.#passed.add(check.name)
      this.#schedule(check, this.#passed.has(check.name) ? check.intervalMs : Math.min(check.intervalMs, startIntervalMs))
    }, delayMs)
    this.#timers.add(timer)
  }
}
