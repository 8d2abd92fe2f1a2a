/**
 * The supervisor behind `flotilla up`: starts instances (each in its own process group, watched
 * by the parent-death guard), restarts them by policy with backoff, runs their health checks,
 * and feeds their output, whole lines only, to the log multiplexer and to listeners.
 *
 * Events: 'state' (StateEvent), 'health' (HealthEvent), 'line' (LogLine; only built when someone
 * listens, since it costs an object per line).
 */
import {randomBytes} from 'node:crypto'
import {EventEmitter} from 'node:events'
import {FlotillaError, ExitCode} from '../errors.js'
import {ProcessRun, type RunExit} from './child-process.js'
import {type CheckResult, type CheckSpec, type Health, HealthMonitor, HealthProber} from './health-check.js'
import {instanceKey, type LineSource, type LogStream} from './log-format.js'
import {defaultSplitterOptions, LineRing, type LogLine, type LogMux, type SplitterOptions} from './log-mux.js'
import {findByEnv, GroupReaper, Watchdog} from './process-tree.js'
import {type Backoff, defaultBackoff, failed, type RestartSpec, RestartTracker} from './restart-policy.js'

export interface ProcessSpec {
  app: string
  group: string
  /** Instance number within app and group, from 0. */
  index: number
  /** FLY_MACHINE_ID; kept across restarts, as a Machine keeps its id. */
  machineId: string
  argv: string[]
  cwd: string
  /** The complete environment (nothing is inherited); the supervisor adds only FLOTILLA_SESSION. */
  env: Record<string, string>
  /** Fly's default is SIGINT. */
  killSignal: NodeJS.Signals
  /** Fly's default is 5 s. */
  killTimeoutMs: number
  restart: RestartSpec
  checks: CheckSpec[]
}

export type InstanceState = 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed' | 'backoff' | 'fatal'

export interface InstanceStatus {
  /** `app[group].index`: unique within the supervisor, and the log prefix. */
  key: string
  app: string
  group: string
  index: number
  machineId: string
  pid: number | null
  state: InstanceState
  health: Health
  checks: Record<string, CheckResult>
  /** Automatic restarts after a crash (a requested restart() is not one). */
  restarts: number
  /** When the current run started (ms since the epoch). */
  startedAt: number | null
  /** How the last run ended. */
  exitCode: number | null
  signal: NodeJS.Signals | null
  /** Restarting again and again within the backoff's stable window. */
  crashLoop: boolean
}

export interface StateEvent extends InstanceStatus {
  previous: InstanceState | null
  /** 'backoff': the wait before the next start. */
  delayMs?: number
  /** Why it is in this state: `exit code 1`, `killed after kill timeout`, `retries exhausted`… */
  reason?: string
}

export interface HealthEvent {
  key: string
  app: string
  group: string
  index: number
  health: Health
  previous: Health
  /** The check whose result caused the event; absent when the run ended. */
  check?: string
  result?: CheckResult
}

export interface SupervisorOptions {
  /** Where the multiplexed output goes; without it lines only reach listeners and the tails. */
  logs?: LogMux
  backoff?: Backoff
  splitter?: Partial<SplitterOptions>
  /** Characters of recent output kept per instance (for `logs` and crash reports). */
  recentChars?: number
}

/** Set in every instance's environment: how leftovers are recognised, even outside their group. */
export const sessionMarker = 'FLOTILLA_SESSION'
const terminalStates: ReadonlySet<InstanceState> = new Set(['stopped', 'crashed', 'fatal'])

interface Instance extends LineSource {
  spec: ProcessSpec
  state: InstanceState
  /** False once a stop was asked for: its exit is then expected and never restarted. */
  wanted: boolean
  /** Not announced yet: its first 'state' event has `previous: null`. */
  fresh: boolean
  /** Set before 'crashed'/'stopped' is announced when a restart will follow. */
  restartPending: boolean
  run: ProcessRun | undefined
  monitor: HealthMonitor | undefined
  health: Health
  backoff: NodeJS.Timeout | undefined
  tracker: RestartTracker
  restarts: number
  lastExit: RunExit | undefined
  ring: LineRing
}

export class Supervisor extends EventEmitter {
  /** Random per supervisor; the value of FLOTILLA_SESSION in its instances. */
  readonly sessionId = randomBytes(8).toString('hex')
  readonly #instances = new Map<string, Instance>()
  readonly #reaper = new GroupReaper()
  readonly #watchdog = new Watchdog(`${sessionMarker}=${this.sessionId}`)
  readonly #prober = new HealthProber()
  readonly #splitter: SplitterOptions
  #congested = false

  constructor(readonly options: SupervisorOptions = {}) {
    super()
    this.#splitter = {...defaultSplitterOptions, ...options.splitter}
  }

  /** Starts an instance; returns its key. A key may be reused once its instance has ended. */
  start(spec: ProcessSpec): string {
    const key = instanceKey(spec.app, spec.group, spec.index)
    const existing = this.#instances.get(key)
    if (existing && !terminalStates.has(existing.state)) {
      throw new FlotillaError('E_INSTANCE_EXISTS', `${key} is already ${existing.state}`, ExitCode.runtime)
    }
    if (spec.argv.length === 0) throw new FlotillaError('E_NO_COMMAND', `${key} has no command to run`)
    if (process.platform === 'win32') {
      throw new FlotillaError('E_PLATFORM', 'running apps needs POSIX process groups (Linux or macOS); on Windows, use WSL', ExitCode.runtime)
    }
    const inst: Instance = {
      key, app: spec.app, group: spec.group, index: spec.index, spec,
      state: 'starting', fresh: true, wanted: true, restartPending: false,
      run: undefined, monitor: undefined, health: spec.checks.length > 0 ? 'unknown' : 'none', backoff: undefined,
      tracker: new RestartTracker(spec.restart, this.options.backoff ?? defaultBackoff), restarts: 0, lastExit: undefined,
      ring: new LineRing(this.options.recentChars ?? 256 * 1024),
    }
    this.#instances.set(key, inst)
    this.options.logs?.add(inst)
    this.#launch(inst)
    return key
  }

  /** Stops one instance (kill_signal, then SIGKILL after kill_timeout) and keeps it stopped. */
  async stop(key: string): Promise<InstanceStatus> {
    const inst = this.#get(key)
    inst.wanted = false
    if (inst.backoff) {
      clearTimeout(inst.backoff)
      inst.backoff = undefined
      this.#setState(inst, 'stopped', {reason: 'stopped'})
    } else if (inst.run) {
      if (inst.state !== 'stopping') this.#setState(inst, 'stopping')
      await inst.run.stop()
    }
    return this.#status(inst)
  }

  /** Stops (if needed) and starts one instance again, with a fresh restart streak; not counted in `restarts`. */
  async restart(key: string): Promise<InstanceStatus> {
    const inst = this.#get(key)
    await this.stop(key)
    inst.tracker.reset()
    this.#launch(inst)
    return this.#status(inst)
  }

  /**
   * Stops every instance in parallel, then (on Linux) SIGKILLs any process still carrying this
   * session's marker: something that left its process group cannot outlive `up` either.
   */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#instances.keys()].map((key) => this.stop(key)))
    for (const pid of findByEnv(sessionMarker, this.sessionId)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }

  /** SIGKILL to every group now (the second Ctrl-C); a pending stopAll() then completes. */
  killAll(): void {
    for (const inst of this.#instances.values()) {
      if (inst.backoff) void this.stop(inst.key)
      inst.wanted = false
      inst.run?.kill()
    }
  }

  /** stopAll(), then release the watchdog and the health checks' connections. */
  async close(): Promise<void> {
    await this.stopAll()
    this.#watchdog.close()
    await this.#prober.close()
  }

  status(): InstanceStatus[] {
    return [...this.#instances.values()].map((inst) => this.#status(inst))
  }

  /** The last `count` lines of an instance's output (all it kept without a count), oldest first. */
  recent(key: string, count?: number): LogLine[] {
    const inst = this.#get(key)
    return inst.ring.lines(inst, count)
  }

  /**
   * Resolves when every instance (or those in `keys`) is running and its checks pass (no checks:
   * running is enough). Rejects with E_INSTANCE_FAILED when one ends for good, or on `signal`.
   */
  waitHealthy(options: {keys?: string[]; signal?: AbortSignal} = {}): Promise<void> {
    const selected = (options.keys ?? [...this.#instances.keys()]).map((key) => this.#get(key))
    return new Promise((resolve, reject) => {
      const done = (error?: unknown) => {
        this.off('state', check)
        this.off('health', check)
        options.signal?.removeEventListener('abort', aborted)
        if (error) reject(error)
        else resolve()
      }
      const check = () => {
        const ended = selected.find((inst) => terminalStates.has(inst.state) && !inst.restartPending)
        if (ended) {
          const how = ended.lastExit ? `: ${describeExit(ended.lastExit)}` : ''
          done(new FlotillaError('E_INSTANCE_FAILED', `${ended.key} ${ended.state}${how}`, ExitCode.runtime))
        } else if (selected.every((inst) => inst.state === 'running' && (inst.health === 'passing' || inst.health === 'none'))) done()
      }
      const aborted = () => done(options.signal!.reason)
      if (options.signal?.aborted) return aborted()
      options.signal?.addEventListener('abort', aborted)
      this.on('state', check)
      this.on('health', check)
      check()
    })
  }

  #get(key: string): Instance {
    const inst = this.#instances.get(key)
    if (!inst) throw new FlotillaError('E_NO_INSTANCE', `no instance ${key}`)
    return inst
  }

  #launch(inst: Instance): void {
    inst.wanted = true
    inst.restartPending = false
    const {argv, cwd, env, killSignal, killTimeoutMs, checks} = inst.spec
    const run = new ProcessRun({argv, cwd, env: {...env, [sessionMarker]: this.sessionId}, killSignal, killTimeoutMs}, {
      output: (stream, text, partial, ts) => this.#output(inst, stream, text, partial, ts),
      stopping: (reason) => this.#setState(inst, 'stopping', {reason}),
      splitter: this.#splitter,
      reaper: this.#reaper,
      watchdog: this.#watchdog,
    })
    inst.run = run
    if (this.#congested) run.pause()
    this.#setState(inst, 'starting')
    void run.spawned().then((ok) => {
      if (!ok || inst.run !== run || inst.state !== 'starting') return
      if (checks.length > 0) inst.monitor = new HealthMonitor(checks, this.#prober, (check, result, changed) => this.#onCheck(inst, check.name, result, changed))
      this.#setState(inst, 'running')
      inst.monitor?.start()
    })
    void run.done.then((exit) => this.#onExit(inst, exit))
  }

  #onExit(inst: Instance, exit: RunExit): void {
    inst.monitor?.stop()
    inst.monitor = undefined
    inst.run = undefined
    inst.lastExit = exit
    this.#setHealth(inst, inst.spec.checks.length > 0 ? 'unknown' : 'none')
    const reason = describeExit(exit)
    if (!inst.wanted) return this.#setState(inst, 'stopped', {reason})
    const decision = inst.tracker.next(exit)
    inst.restartPending = decision.restart
    this.#setState(inst, failed(exit) || exit.error ? 'crashed' : 'stopped', {reason})
    if (!decision.restart) {
      if (decision.reason === 'retries-exhausted') this.#setState(inst, 'fatal', {reason: `gave up after ${inst.spec.restart.maxRetries} retries`})
      return
    }
    this.#setState(inst, 'backoff', {delayMs: decision.delayMs, reason})
    inst.backoff = setTimeout(() => {
      inst.backoff = undefined
      inst.restarts++
      this.#launch(inst)
    }, decision.delayMs)
  }

  #onCheck(inst: Instance, check: string, result: CheckResult, changed: boolean): void {
    const previous = inst.health
    inst.health = inst.monitor?.health ?? inst.health
    if (changed || previous !== inst.health) this.emit('health', {...this.#source(inst), health: inst.health, previous, check, result} satisfies HealthEvent)
  }

  #setHealth(inst: Instance, health: Health): void {
    const previous = inst.health
    inst.health = health
    if (previous !== health) this.emit('health', {...this.#source(inst), health, previous} satisfies HealthEvent)
  }

  #setState(inst: Instance, state: InstanceState, extra: {delayMs?: number; reason?: string} = {}): void {
    const previous = inst.fresh ? null : inst.state
    inst.fresh = false
    inst.state = state
    this.emit('state', {...this.#status(inst), previous, ...extra} satisfies StateEvent)
  }

  #output(inst: Instance, stream: LogStream, text: string, partial: boolean, ts: number): void {
    inst.ring.push(ts, stream, text, partial)
    if (this.listenerCount('line') > 0) {
      const lines = text.slice(0, -1).split('\n')
      for (let i = 0; i < lines.length; i++) {
        const line: LogLine = {ts, key: inst.key, app: inst.app, group: inst.group, instance: inst.index, stream, line: lines[i]!}
        if (partial && i === lines.length - 1) line.partial = true
        this.emit('line', line)
      }
    }
    const logs = this.options.logs
    if (!logs || logs.write(inst, stream, text, ts, partial) || this.#congested) return
    // The output is slower than the children: leave their output in the pipes (they block on
    // write) instead of in our heap, until it drains.
    this.#congested = true
    for (const other of this.#instances.values()) other.run?.pause()
    logs.once('drain', () => {
      this.#congested = false
      for (const other of this.#instances.values()) other.run?.resume()
    })
  }

  #source(inst: Instance): {key: string; app: string; group: string; index: number} {
    return {key: inst.key, app: inst.app, group: inst.group, index: inst.index}
  }

  #status(inst: Instance): InstanceStatus {
    const checks: Record<string, CheckResult> = {}
    for (const [name, result] of inst.monitor?.results ?? []) checks[name] = result
    return {...this.#source(inst), machineId: inst.spec.machineId, pid: inst.run?.pid ?? null, state: inst.state,
      health: inst.health, checks, restarts: inst.restarts, startedAt: inst.run?.startedAt ?? null,
      exitCode: inst.lastExit?.code ?? null, signal: inst.lastExit?.signal ?? null, crashLoop: inst.tracker.crashLoop}
  }
}

/** `exit code 1`, `signal SIGSEGV`, `killed after kill timeout`, or the spawn error. */
export function describeExit(exit: RunExit): string {
  if (exit.error) return exit.error
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`
  return exit.killed ? `${how} (killed after kill timeout)` : how
}
