/**
 * A running `flotilla up`: the `.internal` registry and its DNS server, the local network, the
 * supervisor with every instance of the plan, and the control socket that `ps`, `logs`, `restart`
 * and `down` talk to. State lives in `<workspace>/.flotilla/` (0700): `control.sock` and
 * `registry.json` (the registry as `dns serve --registry` reads it), removed on stop.
 */
import {EventEmitter} from 'node:events'
import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'
import type {Writable} from 'node:stream'
import {ExitCode, FlotillaError} from '../errors.js'
import {Registry, registerEnv, startDnsServer, type DnsServer} from '../network/index.js'
import {ensurePortFree} from '../network/loopback.js'
import {createNetworkMode, type InstanceNetwork, type NetworkKind, type NetworkMode} from '../network/network-mode.js'
import {controlSocketPath, namesGroup, startControlServer, STATE_DIR, type ControlHandler, type ControlServer} from './control-socket.js'
import {flyEnv, machineId, readEnvFile, ulid} from './fly-env.js'
import {HostPorts} from './host-ports.js'
import {checkPortClashes, listenPorts, type AppPlan, type RunPlan} from './instance-plan.js'
import {instanceKey} from './log-format.js'
import {LogMux, type LogLine} from './log-mux.js'
import {RegistryFile} from './registry-file.js'
import {Supervisor, type HealthEvent, type InstanceState, type InstanceStatus, type StateEvent} from './supervisor.js'
import type {Health} from './health-check.js'

/** How long an instance must stay up to count as started (supervisord's startsecs). */
const START_SETTLE_MS = 1000
/** How long after start an instance's listeners are read for the IPv4-only warning. */
const LISTEN_GRACE_MS = 2000

export interface SessionOptions {
  plan: RunPlan
  /** `auto`: isolated where this machine can (Linux, user namespaces), else loopback. Default loopback. */
  network?: NetworkKind | 'auto'
  /** Where the multiplexed logs go. */
  logs: Writable
  logFormat?: 'text' | 'json'
  timestamps?: boolean
  color?: boolean
  /**
   * Stop on SIGINT, SIGTERM and SIGHUP (from the moment start() is called): the first stops
   * gracefully, the next kills at once; also stop gracefully when `logs` fails (its reader closed
   * it). Off for in-process use (tests, exec).
   */
  signals?: boolean
}

/** The signals a foreground `up` stops on. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** One instance as `ps --json` prints it (architecture.md contract, plus index and startedAt). */
export interface InstanceView {
  app: string
  group: string
  index: number
  id: string
  pid: number | null
  ip: string
  state: InstanceState
  health: Health
  restarts: number
  crashLoop: boolean
  /** ISO time the current run started. */
  startedAt: string | null
  urls: string[]
}

export interface SessionStatus {
  dir: string
  /** The `up` process. */
  pid: number
  network: NetworkKind
  dns: {address: string; port: number}
  instances: InstanceView[]
}

interface Member {
  key: string
  app: AppPlan
  index: number
  net: InstanceNetwork
  id: string
}

export class Session extends EventEmitter {
  readonly #members = new Map<string, Member>()
  readonly #warned = new Set<string>()
  readonly #registry = new Registry()
  readonly #supervisor: Supervisor
  readonly #mux: LogMux
  #dns: DnsServer | undefined
  readonly #wanted: NetworkKind | 'auto'
  #kind: NetworkKind = 'loopback'
  #network: NetworkMode | undefined
  #ports: HostPorts | undefined
  #control: ControlServer | undefined
  #registryFile: RegistryFile | undefined
  #stopping: Promise<void> | undefined
  /** The control socket answers from the start, but requests wait for this. */
  #started: Promise<void> = Promise.resolve()
  #halted!: () => void
  /** Resolves once every process is gone (before the socket and DNS close). */
  readonly halted = new Promise<void>((resolve) => (this.#halted = resolve))
  #closed!: () => void
  /** Resolves once the session is over: processes, network, DNS and socket all gone. */
  readonly closed = new Promise<void>((resolve) => (this.#closed = resolve))

  private constructor(readonly plan: RunPlan, network: NetworkKind | 'auto', options: SessionOptions) {
    super()
    this.#wanted = network
    this.#mux = new LogMux(options.logs, {format: options.logFormat ?? 'text', timestamps: options.timestamps ?? false,
      ...(options.color === undefined ? {} : {color: options.color})})
    this.#supervisor = new Supervisor({logs: this.#mux})
    // Every app being waited for (up's startup list, exec) listens here: dozens is normal.
    this.setMaxListeners(0)
    if (options.signals) {
      for (const signal of STOP_SIGNALS) process.on(signal, this.#onSignal)
      // The reader went away (`up | head`, EPIPE): nobody sees the logs, so stop as on Ctrl-C.
      // Staying attached also keeps the writes that still fail from crashing the process.
      options.logs.on('error', () => void this.stop())
    }
  }

  #signalCount = 0
  readonly #onSignal = () => (++this.#signalCount > 1 ? this.kill() : void this.stop())

  /** stop() was called (Ctrl-C, `down`, or a failed start). */
  get stopping(): boolean {
    return this.#stopping !== undefined
  }

  get networkKind(): NetworkKind {
    return this.#kind
  }

  get stateDir(): string {
    return join(this.plan.dir, STATE_DIR)
  }

  get dns(): DnsServer {
    return this.#dns!
  }

  /** Starts everything; on any failure, stops what was started and rethrows. */
  static async start(options: SessionOptions): Promise<Session> {
    const session = new Session(options.plan, options.network ?? 'loopback', options)
    session.#started = session.#start()
    try {
      await session.#started
    } catch (error) {
      await session.stop()
      throw error
    }
    return session
  }

  async #start(): Promise<void> {
    await mkdir(this.stateDir, {recursive: true, mode: 0o700})
    // First, so a second `up` here fails before it starts anything.
    this.#control = await startControlServer(controlSocketPath(this.plan.dir), this.#handle)
    const secrets = await Promise.all(this.plan.apps.map((app) => (app.envFile === undefined ? {} : readEnvFile(app.envFile, app.label))))
    this.#network = await this.#createNetwork()
    this.#kind = this.#network.kind
    this.#ports = new HostPorts(this.#network)
    if (this.#kind === 'loopback') {
      checkPortClashes(this.plan)
      await Promise.all(this.plan.apps.flatMap((app) => listenPorts(app).map((port) => ensurePortFree(port, app.label))))
    }
    // The server's default bind (both loopbacks) tolerates a host without IPv6; extend it only when asked.
    const {dnsBind} = this.#network
    this.#dns = await startDnsServer({registry: this.#registry, port: 0, forward: this.networkKind === 'isolated',
      ...(dnsBind.length > 0 ? {bind: ['127.0.0.1', '::1', ...dnsBind]} : {})})
    this.#registryFile = new RegistryFile(this.#registry, join(this.stateDir, 'registry.json'))
    this.#supervisor.on('state', (event: StateEvent) => this.#onState(event))
    this.#supervisor.on('health', (event: HealthEvent) => this.#onHealth(event))
    const imageRef = (app: string) => `registry.fly.io/${app}:deployment-${ulid()}`
    for (const [i, app] of this.plan.apps.entries()) {
      const image = imageRef(app.app)
      for (let index = 0; index < app.count; index++) {
        if (this.#stopping) throw new FlotillaError('E_INTERRUPTED', 'stopped while starting', ExitCode.runtime)
        await this.#startInstance(app, index, secrets[i]!, image)
      }
    }
    // Asked on every forwarded connection: one status snapshot, not one per member.
    const running = (app: AppPlan) => () => {
      const up = new Set(this.#supervisor.status().filter((s) => s.state === 'running').map((s) => s.key))
      return [...this.#members.values()].filter((m) => m.app === app && up.has(m.key))
    }
    for (const app of this.plan.apps) await this.#ports.publish(app, running(app))
  }

  async #createNetwork(): Promise<NetworkMode> {
    const opts = {sessionDir: this.stateDir, dnsUpstream: () => this.#dns && {address: this.#dns.address, port: this.#dns.port}}
    if (this.#wanted !== 'auto') return createNetworkMode(this.#wanted, opts)
    if (process.platform === 'linux') {
      try {
        return await createNetworkMode('isolated', opts)
      } catch (error) {
        if ((error as {code?: unknown}).code !== 'E_ISOLATED_UNAVAILABLE') throw error
        this.#mux.system(`${(error as Error).message}; using the loopback network`)
      }
    }
    return createNetworkMode('loopback', opts)
  }

  async #startInstance(app: AppPlan, index: number, secrets: Record<string, string>, imageRef: string): Promise<void> {
    const id = machineId()
    const net = await this.#network!.attach({app: app.app, group: app.group, index, machineId: id})
    const env = {
      ...stringEnv(process.env),
      ...flyEnv({app: app.app, group: app.group, machineId: id, region: app.region, privateIp: net.ip, memoryMb: app.memoryMb,
        imageRef, machineVersion: ulid(), configEnv: app.configEnv, secrets}),
      ...(app.port === undefined ? {} : {PORT: String(app.port + index)}),
      ...registerEnv(this.#dns!, {ip: net.ip}),
      ...net.env,
    }
    const checkTarget = await this.#ports!.checkTargets(app, net)
    // Registered (stopped) first, so the 'running' event finds it.
    this.#registry.upsert({id, app: app.app, group: app.group, region: app.region, ip: net.ip, state: 'stopped'})
    const key = this.#supervisor.start({
      app: app.app, group: app.group, index, machineId: id, argv: net.wrap(app.argv), cwd: app.cwd, env,
      killSignal: app.killSignal, killTimeoutMs: app.killTimeoutMs, restart: app.restart,
      checks: app.checks.map(({gracePeriodMs, ...check}) => ({...check, ...checkTarget(check.port), graceMs: gracePeriodMs})),
    })
    this.#members.set(key, {key, app, index, net, id})
  }

  /** Isolated mode: a service bound to IPv4 only is unreachable over .internal, as on Fly; say so once. */
  async #warnIpv4Only(member: Member): Promise<void> {
    if (!member.net.listeners || member.app.services.length === 0) return
    const {ipv4OnlyWarning} = await import('../network/isolated/index.js')
    const listeners = await member.net.listeners().catch(() => [])
    for (const {port} of member.app.services) {
      const warning = ipv4OnlyWarning(member.app.label, listeners, port)
      if (warning) this.#mux.system(warning)
    }
  }

  #onState(event: StateEvent): void {
    const member = this.#members.get(event.key)
    if (member && event.state === 'running' && this.networkKind !== 'loopback' && !this.#warned.has(event.key)) {
      this.#warned.add(event.key)
      // Once it had a moment to bind its ports.
      setTimeout(() => void this.#warnIpv4Only(member), LISTEN_GRACE_MS).unref()
    }
    if (member) this.#registry.setState(member.app.app, member.id, event.state === 'running' ? 'started' : 'stopped')
    const why = event.reason ? `: ${event.reason}` : ''
    if (event.state === 'crashed' || event.state === 'fatal') this.#mux.system(`${event.key} ${event.state}${why}`)
    if (event.state === 'backoff') {
      this.#mux.system(`${event.key} restarting in ${((event.delayMs ?? 0) / 1000).toFixed(1)}s${event.crashLoop ? ' (crash loop: it keeps failing right after start)' : ''}`)
    }
    this.emit('state', event)
  }

  /** Health turning good or bad is news in the log stream (the checks' details are in `ps --json`). */
  #onHealth(event: HealthEvent): void {
    if (event.health === 'passing' && event.previous !== 'passing') this.#mux.system(`${event.key} healthy`)
    if (event.health === 'critical' && event.previous !== 'critical') {
      this.#mux.system(`${event.key} failing check ${event.check ?? ''}${event.result ? `: ${event.result.output}` : ''}`)
    }
    this.emit('health', event)
  }

  /** Keys of the instances an app name (label, app or group) selects. */
  keysFor(name: string): string[] {
    const keys = [...this.#members.values()]
      .filter(({app}) => namesGroup(name, app.app, app.group))
      .map((m) => m.key)
    if (keys.length === 0) throw new FlotillaError('E_UNKNOWN_APP', `no app named ${JSON.stringify(name)} is running (apps: ${this.plan.apps.map((a) => a.label).join(', ')})`, ExitCode.input)
    return keys
  }

  status(): SessionStatus {
    const instances = this.#supervisor.status().map((s: InstanceStatus): InstanceView => {
      const member = this.#members.get(s.key)!
      return {app: s.app, group: s.group, index: s.index, id: s.machineId, pid: s.pid, ip: member.net.ip, state: s.state,
        health: s.health, restarts: s.restarts, crashLoop: s.crashLoop,
        startedAt: s.startedAt === null ? null : new Date(s.startedAt).toISOString(), urls: this.#ports?.urls(member.app.label) ?? []}
    })
    return {dir: this.plan.dir, pid: process.pid, network: this.networkKind, dns: {address: this.dns.address, port: this.dns.port}, instances}
  }

  /**
   * Resolves when every instance runs (`started`), or runs and passes its checks (`healthy`);
   * rejects with E_INSTANCE_FAILED when one gives up or is crash-looping, and with E_INTERRUPTED
   * when the session stops first (Ctrl-C while starting).
   */
  async waitUntil(condition: 'started' | 'healthy', options: {keys?: string[]; signal?: AbortSignal; timeoutMs?: number} = {}): Promise<void> {
    const stopped = new AbortController()
    const interrupt = () => stopped.abort(new FlotillaError('E_INTERRUPTED', 'stopped while starting', ExitCode.runtime))
    if (this.stopping) interrupt()
    this.once('stopping', interrupt)
    // A check that never passes (a 404 on the check's path) must not keep `up --wait` waiting forever.
    const timer = options.timeoutMs === undefined ? undefined
      : setTimeout(() => stopped.abort(this.#notReady(condition, options.keys, options.timeoutMs!)), options.timeoutMs)
    const signal = options.signal ? AbortSignal.any([options.signal, stopped.signal]) : stopped.signal
    try {
      await this.#waitStarted({...options, signal})
      if (condition === 'healthy') await this.#supervisor.waitHealthy({...options, signal})
    } finally {
      clearTimeout(timer)
      this.off('stopping', interrupt)
    }
  }

  /** E_WAIT_TIMEOUT naming each instance not there yet, with its state or its checks' last results. */
  #notReady(condition: 'started' | 'healthy', keys: string[] | undefined, timeoutMs: number): FlotillaError {
    const lagging = this.#supervisor.status().filter((s) => (keys === undefined || keys.includes(s.key))
      && !(s.state === 'stopped' && s.exitCode === 0)
      && (s.state !== 'running' || (condition === 'healthy' && s.health !== 'passing' && s.health !== 'none')))
    const describe = (s: InstanceStatus) => {
      if (s.state !== 'running') return `${s.key} ${s.state}`
      const checks = Object.entries(s.checks).filter(([, r]) => r.status !== 'passing').map(([name, r]) => `${name}: ${r.output}`)
      return `${s.key} ${s.health}${checks.length > 0 ? ` (${checks.join('; ')})` : ' (no check result yet)'}`
    }
    return new FlotillaError('E_WAIT_TIMEOUT', `not ${condition} after ${timeoutMs / 1000} s: ${lagging.map(describe).join(', ')}`, ExitCode.runtime)
  }

  #waitStarted({keys, signal}: {keys?: string[]; signal?: AbortSignal}): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const all = this.#supervisor.status().filter((s) => keys === undefined || keys.includes(s.key))
        const failed = all.find((s) => s.state === 'fatal' || (s.state === 'crashed' && (s.crashLoop || this.#members.get(s.key)?.app.restart.policy === 'never')))
        if (failed) finish(new FlotillaError('E_INSTANCE_FAILED', `${failed.key} ${failed.state}${failed.exitCode === null ? '' : ` (exit code ${failed.exitCode})`}`, ExitCode.runtime))
        else {
          // Up for START_SETTLE_MS (supervisord's startsecs), or done with a clean exit (a one-off
          // job): a command that dies at once must not be reported as started.
          const now = Date.now()
          const wait = all.map((s) => (s.state === 'stopped' && s.exitCode === 0 ? 0
            : s.state === 'running' && s.startedAt !== null ? Math.max(0, s.startedAt + START_SETTLE_MS - now) : Infinity))
          const longest = Math.max(...wait)
          if (longest === 0) finish()
          else if (longest < Infinity) timer ??= setTimeout(() => ((timer = undefined), check()), longest)
        }
      }
      let timer: NodeJS.Timeout | undefined
      const finish = (error?: Error) => {
        clearTimeout(timer)
        this.off('state', check)
        signal?.removeEventListener('abort', aborted)
        if (error) reject(error)
        else resolve()
      }
      const aborted = () => finish(signal!.reason as Error)
      if (signal?.aborted) return aborted()
      signal?.addEventListener('abort', aborted)
      this.on('state', check)
      check()
    })
  }

  async restart(name: string): Promise<InstanceView[]> {
    const keys = this.keysFor(name)
    await Promise.all(keys.map(async (key) => {
      await this.#supervisor.restart(key)
      this.#mux.system(`${key} restarted by request`)
    }))
    return this.status().instances.filter((i) => keys.includes(instanceKey(i.app, i.group, i.index)))
  }

  /** The last `tail` lines of the selected instances, oldest first. */
  recentLogs(name: string | undefined, tail: number): LogLine[] {
    const keys = name === undefined ? [...this.#members.keys()] : this.keysFor(name)
    return keys.flatMap((key) => this.#supervisor.recent(key, tail)).sort((a, b) => a.ts - b.ts).slice(-tail)
  }

  /** Graceful stop of everything (idempotent); resolves once processes, network, DNS and socket are gone. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown()
    return this.#stopping
  }

  /** The second Ctrl-C: SIGKILL every process now; a pending stop() then completes. */
  kill(): void {
    this.#supervisor.killAll()
  }

  async #shutdown(): Promise<void> {
    this.emit('stopping')
    // A start in progress notices the stop at its next instance; let it get there first.
    await this.#started.catch(() => undefined)
    await this.#supervisor.close()
    await Promise.all([...this.#members.values()].map((m) => m.net.release()))
    await this.#ports?.close()
    await this.#network?.close()
    this.#halted()
    await this.#dns?.close()
    // Without the socket this session never owned the directory (another `up` runs here).
    await this.#control?.close()
    await this.#registryFile?.close()
    for (const signal of STOP_SIGNALS) process.off(signal, this.#onSignal)
    this.emit('stopped')
    this.#closed()
  }

  readonly #handle: ControlHandler = async (request, reply) => {
    await this.#started
    switch (request.op) {
      case 'status':
        return this.status()
      case 'restart':
        return this.restart(request.app)
      case 'wait':
        await this.waitUntil(request.healthy ? 'healthy' : 'started', request.timeoutMs === undefined ? {} : {timeoutMs: request.timeoutMs})
        return this.status()
      case 'down':
        void this.stop()
        await this.halted
        return {stopped: this.#members.size}
      case 'logs': {
        for (const line of this.recentLogs(request.app, request.tail ?? 100)) reply.send({line})
        if (!request.follow) return undefined
        const keys = new Set(request.app === undefined ? this.#members.keys() : this.keysFor(request.app))
        const forward = (line: LogLine) => keys.has(line.key) && reply.send({line})
        this.#supervisor.on('line', forward)
        await Promise.race([reply.closed, this.halted])
        this.#supervisor.off('line', forward)
        return undefined
      }
    }
  }
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value
  return out
}
