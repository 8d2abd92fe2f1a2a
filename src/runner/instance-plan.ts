/**
 * What `up` runs: the workspace (flotilla.toml), else one multi-group fly.toml (each group an app
 * group inside one app, `<group>.process.<app>.internal`), else a Procfile, turned into one plan
 * per app group: command, directory, Fly settings, and how many instances. Reading files is the
 * only effect; turning configs into plans is pure.
 */
import {readFile} from 'node:fs/promises'
import {basename, dirname, join, relative, resolve} from 'node:path'
import {ExitCode, FlotillaError, LocatedError} from '../errors.js'
import {defaultGroup, loadFlyConfig, parseDuration, processGroups, shellSplit, toMachineConfig, type FlyConfig, type MachineConfig, type MachineServiceCheck} from '../config/index.js'
import {signalName} from './process-tree.js'
import {findWorkspace, parseWorkspace, type Workspace} from '../workspace/index.js'

/** Region code of local instances when the config has no primary_region. */
export const LOCAL_REGION = 'lcl'
/** fly-platform.md 1.6 / 5.3: what a Machine gets when the config says nothing. */
const DEFAULTS = {killSignal: 'SIGINT', killTimeout: '5s', memoryMb: 256, restart: {policy: 'on-failure', maxRetries: 10}} as const
/** foreman's PORT for Procfile processes: 5000 for the first line, +100 per line, +1 per extra instance. */
const PROCFILE_BASE_PORT = 5000
const PROCFILE_PORT_STEP = 100


export interface PlannedCheck {
  name: string
  type: 'http' | 'tcp'
  port: number
  path?: string
  method?: string
  headers?: Record<string, string>
  intervalMs: number
  timeoutMs: number
  gracePeriodMs: number
}

export interface PlannedService {
  /** internal_port: what the app listens on. */
  port: number
  /** Served over HTTP (an http handler), so shown as an http:// URL. */
  http: boolean
}

export interface AppPlan {
  /** Fly app name. */
  app: string
  group: string
  /** `app[group]`, how logs, `ps`, `--only` and `--scale` name it. */
  label: string
  count: number
  argv: string[]
  cwd: string
  /** Where the settings came from, for error messages (relative to the input's directory). */
  source: string
  configEnv: Record<string, string>
  /** Absolute path of the secrets file, if any. */
  envFile?: string
  region: string
  memoryMb: number
  killSignal: NodeJS.Signals
  killTimeoutMs: number
  restart: {policy: 'always' | 'on-failure' | 'never'; maxRetries?: number}
  checks: PlannedCheck[]
  /** `[http_service]` and `[[services]]` ports: reachable from the host. */
  services: PlannedService[]
  /** Procfile input only: instance i gets `PORT=port+i` (foreman's rule); Fly apps get no PORT, as on Fly. */
  port?: number
}

export interface PlanWarning {
  code: string
  message: string
}

export interface RunPlan {
  kind: 'workspace' | 'fly' | 'procfile'
  /** The input file (flotilla.toml, fly.toml or Procfile), absolute. */
  file: string
  dir: string
  apps: AppPlan[]
  warnings: PlanWarning[]
}

export interface PlanOptions {
  /** Labels, app names or group names to run (with what they need: nothing, for now). */
  only?: string[]
  /** `NAME=N` instance counts, NAME as in `only`. */
  scale?: Record<string, number>
}

/** Finds and reads the input in `dir`, then plans it. */
export async function loadRunPlan(dir: string, options: PlanOptions = {}): Promise<RunPlan> {
  const found = await findWorkspace(dir)
  if (!found) {
    throw new FlotillaError('E_NO_WORKSPACE', `nothing to run in ${dir}: no flotilla.toml, fly.toml or Procfile (run flotilla split or flotilla import first)`, ExitCode.input)
  }
  const inputDir = dirname(found.path)
  let plan: RunPlan
  if (found.kind === 'workspace') {
    const workspace = parseWorkspace(await readFile(found.path), found.path)
    const configs = await Promise.all(workspace.apps.map((app) => readConfig(join(workspace.dir, app.config), inputDir)))
    plan = planWorkspace(workspace, configs)
  } else if (found.kind === 'fly') {
    plan = planFlyConfig(found.path, await readConfig(found.path, inputDir))
  } else {
    const {parseProcfile, throwFirstError} = await import('../importers/index.js')
    const parsed = parseProcfile(await readFile(found.path, 'utf8'), basename(found.path))
    throwFirstError(parsed.diagnostics)
    plan = planProcfile(found.path, parsed.entries)
  }
  return selectAndScale(plan, options)
}

async function readConfig(path: string, inputDir: string): Promise<{config: FlyConfig; file: string}> {
  const file = relative(inputDir, path) || basename(path)
  const text = await readFile(path).catch((error: NodeJS.ErrnoException) => {
    throw new FlotillaError('E_CONFIG_MISSING', `${file}: cannot read the app's config (${error.code ?? error.message})`, ExitCode.input)
  })
  const {config, diagnostics} = loadFlyConfig(text, file)
  const error = diagnostics.find((d) => d.severity === 'error')
  if (error) {
    throw new LocatedError(error.code, error.message, {file: error.file, ...(error.line === undefined ? {} : {line: error.line}),
      ...(error.column === undefined ? {} : {column: error.column}), ...(error.keyPath === undefined ? {} : {keyPath: error.keyPath})})
  }
  return {config, file}
}

/**
 * An app runs in `[app.local] cwd`; else where the code is: next to the multi-group config it was
 * split from (`source`, as the configs may have been written elsewhere with `split --out`), else
 * next to its own config.
 */
export function planWorkspace(workspace: Workspace, configs: {config: FlyConfig; file: string}[]): RunPlan {
  const {dir, file} = workspace
  const warnings: PlanWarning[] = []
  const planned = workspace.apps.map((app, i) => {
    const {config, file: configFile} = configs[i]!
    const codeDir = workspace.source === undefined ? dirname(resolve(dir, app.config)) : dirname(resolve(dir, workspace.source))
    const groups = processGroups(config)
    if (!groups.includes(app.group)) {
      throw new FlotillaError('E_UNKNOWN_GROUP', `${file}: app ${app.name} has group ${JSON.stringify(app.group)}, which ${app.config} does not define; its groups: ${groups.join(', ')}`, ExitCode.input)
    }
    const local = app.local ?? {}
    return planGroup({
      app: app.name, group: app.group, config, groupInConfig: app.group in (config.processes ?? {}) ? app.group : undefined,
      source: configFile, localCommand: local.command, cwd: local.cwd === undefined ? codeDir : resolve(dir, local.cwd),
      count: local.count ?? 1, envFile: local.env_file === undefined ? undefined : resolve(dir, local.env_file), warnings,
      commandHint: `set [app.local] command for ${app.name} in flotilla.toml`,
    })
  })
  return {kind: 'workspace', file, dir, apps: planned, warnings}
}

export function planFlyConfig(file: string, {config, file: configFile}: {config: FlyConfig; file: string}): RunPlan {
  const dir = dirname(file)
  const app = config.app ?? basename(dir)
  const warnings: PlanWarning[] = []
  const groups = processGroups(config)
  const apps = groups.map((group) => planGroup({
    app, group, config, groupInConfig: group in (config.processes ?? {}) ? group : undefined, source: configFile,
    localCommand: undefined, cwd: dir, count: 1, envFile: undefined, warnings,
    // split refuses a single-group config, so only a multi-group one can get [app.local] command.
    commandHint: groups.length > 1 ? `add it under [processes] in ${configFile}, or split the app and set [app.local] command`
      : `set [experimental] cmd = ["…"] in ${configFile}, or give the group a command under [processes] (${group} = "…")`,
  }))
  return {kind: 'fly', file, dir, apps, warnings}
}

/**
 * A Procfile is one app (named after its directory) whose entries are groups, run by `sh -c` as
 * foreman does, with foreman's PORT: the line's position in the file (release included, as
 * foreman counts it) picks a block of 100 ports from 5000.
 */
export function planProcfile(file: string, entries: {name: string; command: string}[]): RunPlan {
  const dir = dirname(file)
  const app = basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'app'
  const warnings: PlanWarning[] = []
  const apps: AppPlan[] = []
  for (const [line, entry] of entries.entries()) {
    if (entry.name === 'release') {
      warnings.push({code: 'W_RELEASE_NOT_RUN', message: `Procfile: "release" is a release command (run once per deploy), not started by up`})
      continue
    }
    apps.push(planGroup({
      app, group: entry.name, config: {}, groupInConfig: undefined, source: basename(file), localCommand: undefined,
      cwd: dir, count: 1, envFile: undefined, warnings, commandHint: '', argv: ['sh', '-c', entry.command],
      port: PROCFILE_BASE_PORT + PROCFILE_PORT_STEP * line,
    }))
  }
  return {kind: 'procfile', file, dir, apps, warnings}
}

interface GroupInput {
  app: string
  group: string
  config: FlyConfig
  /** The group's key in the config's [processes], when it has one. */
  groupInConfig: string | undefined
  source: string
  localCommand: string | undefined
  cwd: string
  count: number
  envFile: string | undefined
  warnings: PlanWarning[]
  commandHint: string
  argv?: string[]
  port?: number
}

function planGroup(input: GroupInput): AppPlan {
  const {app, group, config, source} = input
  const label = `${app}[${group}]`
  // The Machine config `fly deploy` would create: the one source of Fly's per-group semantics.
  const machine = toMachineConfig(config, input.groupInConfig ?? defaultGroup(config))
  const argv = input.argv ?? commandOf(machine, input.localCommand)
  if (argv.length === 0) {
    throw new FlotillaError('E_NO_COMMAND', `${source}: app ${app} (group ${group}) has no command to run locally: ${input.commandHint}`, ExitCode.input)
  }
  const reserved = Object.keys(config.env ?? {}).filter((name) => name.startsWith('FLY_'))
  if (reserved.length > 0) {
    input.warnings.push({code: 'W_RESERVED_ENV', message: `${source}: [env] sets ${reserved.join(', ')}; Fly reserves FLY_* names and sets them itself (${label} gets Fly's values)`})
  }
  const policy = machine.restart?.policy === 'no' ? 'never' : machine.restart?.policy
  return {
    app, group, label, count: input.count, argv, cwd: input.cwd, source,
    configEnv: {...config.env, ...machine.env},
    ...(input.envFile === undefined ? {} : {envFile: input.envFile}),
    region: config.primary_region || LOCAL_REGION,
    memoryMb: machine.guest?.memory_mb ?? DEFAULTS.memoryMb,
    killSignal: signalOf(machine.stop_config?.signal ?? DEFAULTS.killSignal, source),
    killTimeoutMs: parseDuration(machine.stop_config?.timeout ?? DEFAULTS.killTimeout),
    restart: policy === undefined ? {...DEFAULTS.restart}
      : {policy, ...(policy === 'on-failure' && machine.restart?.max_retries !== undefined ? {maxRetries: machine.restart.max_retries} : {})},
    checks: checksOf(machine),
    services: servicesOf(machine),
    ...(input.port === undefined ? {} : {port: input.port}),
  }
}

/** `[app.local] command`, else the group's command or `[experimental] cmd`; after `[experimental] entrypoint`. */
function commandOf(machine: MachineConfig, localCommand: string | undefined): string[] {
  const cmd = localCommand === undefined ? (machine.init.cmd ?? []) : shellSplit(localCommand)
  return cmd.length === 0 ? [] : [...(machine.init.entrypoint ?? []), ...cmd]
}

function signalOf(name: string, source: string): NodeJS.Signals {
  const signal = signalName(name)
  if (!signal) throw new FlotillaError('E_KILL_SIGNAL', `${source}: kill_signal ${JSON.stringify(name)} is not a signal`, ExitCode.input)
  return signal
}

/** TCP services reachable from the host: `[http_service]` (http) and `[[services]]` (http when a port has the http handler). */
function servicesOf(machine: MachineConfig): PlannedService[] {
  const byPort = new Map<number, PlannedService>()
  for (const service of machine.services ?? []) {
    if (service.internal_port === undefined || service.protocol === 'udp') continue
    const http = (service.ports ?? []).some((port) => port.handlers?.includes('http'))
    if (!byPort.get(service.internal_port)?.http) byPort.set(service.internal_port, {port: service.internal_port, http})
  }
  return [...byPort.values()]
}

/** Top-level `[checks]` (port already filled in from the http_service), then each service's checks. */
function checksOf(machine: MachineConfig): PlannedCheck[] {
  const planned = (name: string, port: number, check: MachineServiceCheck): PlannedCheck => ({
    name, type: check.type, port,
    intervalMs: parseDuration(check.interval ?? '15s'), timeoutMs: parseDuration(check.timeout ?? '10s'),
    gracePeriodMs: parseDuration(check.grace_period ?? '0s'),
    ...(check.type === 'http' ? {path: check.path ?? '/', method: check.method ?? 'GET'} : {}),
    ...(check.headers ? {headers: Object.fromEntries(check.headers.map((h) => [h.name, h.values.join(', ')]))} : {}),
  })
  const checks: PlannedCheck[] = []
  for (const [name, check] of Object.entries(machine.checks ?? {})) {
    if (check.port !== undefined && (check.type === 'http' || check.type === 'tcp')) checks.push(planned(name, check.port, {...check, type: check.type}))
  }
  machine.services?.forEach((service, i) => {
    if (service.internal_port === undefined) return
    service.checks?.forEach((check, j) => checks.push(planned(`services[${i}].checks[${j}]`, service.internal_port!, check)))
  })
  return checks
}

function matches(app: AppPlan, name: string): boolean {
  return name === app.label || name === app.app || name === app.group
}

/** `--only` keeps the named apps; `--scale NAME=N` sets their instance count. Unknown names are errors. */
export function selectAndScale(plan: RunPlan, {only = [], scale = {}}: PlanOptions): RunPlan {
  const known = plan.apps.map((a) => a.label).join(', ')
  for (const name of [...only, ...Object.keys(scale)]) {
    if (!plan.apps.some((app) => matches(app, name))) throw new FlotillaError('E_UNKNOWN_APP', `no app named ${JSON.stringify(name)} here (apps: ${known})`, ExitCode.input)
  }
  const apps = plan.apps
    .filter((app) => only.length === 0 || only.some((name) => matches(app, name)))
    .map((app) => {
      const count = Object.entries(scale).findLast(([name]) => matches(app, name))?.[1]
      return count === undefined ? app : {...app, count}
    })
  return {...plan, apps}
}

/** The ports an app is known to listen on: its services' internal ports and its checks' ports. */
export function listenPorts(app: AppPlan): number[] {
  return [...new Set([...app.services.map((s) => s.port), ...app.checks.map((c) => c.port)])]
}

/**
 * Loopback mode shares the host's ports between all instances: two that listen on the same port
 * (a service's internal_port or a check's port) cannot both run. Names both, and the way out.
 */
export function checkPortClashes(plan: RunPlan): void {
  const owners = new Map<number, string>()
  for (const app of plan.apps) {
    const ports = listenPorts(app)
    for (let index = 0; index < app.count; index++) {
      const key = `${app.label}.${index}`
      for (const port of ports) {
        const owner = owners.get(port)
        if (owner !== undefined) {
          const scale = app.count > 1 && owner.startsWith(`${app.label}.`) ? `--scale ${app.label}=1` : `--only to run one of them`
          throw new FlotillaError('E_PORT_CLASH', `${owner} and ${key} both listen on port ${port}, and in loopback mode instances share the host's ports: use --network isolated, or ${scale}`, ExitCode.runtime)
        }
        owners.set(port, key)
      }
    }
  }
}
