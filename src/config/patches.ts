/**
 * flyctl's legacy-format patches (fly-platform.md §1.9, flyctl `patches.go`), reimplemented as
 * an ordered list of small functions over the raw TOML table. Each takes the table the pipeline
 * owns and returns it patched; a value flyctl cannot patch is reported through `fail` with the
 * key path it came from (flyctl then rejects the whole file) and removed.
 * `moved` records where a normalised path came from (`vm[0]` <- `compute`), so diagnostics
 * can point at the text the user wrote.
 */
import {formatDuration} from './duration.js'
import {join} from './locate.js'

export type Table = Record<string, unknown>
export interface PatchContext {
  fail(keyPath: string, message: string): void
  moved(to: string, from: string): void
}
type Patch = (cfg: Table, ctx: PatchContext) => Table

export const isTable = (value: unknown): value is Table =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)

/** Go's `%v` for the scalar kinds TOML has; arrays print as `[a b]`. */
export function goString(value: unknown): string {
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return `[${value.map(goString).join(' ')}]`
  if (value instanceof Date) return value.toISOString()
  return String(value)
}

/** `[x]` or `[[x]]` -> array of tables; `undefined` when it is neither (flyctl: "Unknown type"). */
function tablesOf(value: unknown): Table[] | undefined {
  if (isTable(value)) return [value]
  if (Array.isArray(value) && value.every(isTable)) return value
  return undefined
}

function toInt(value: unknown): number | string {
  if (typeof value === 'number') return Math.trunc(value)
  if (typeof value === 'string' && /^[+-]?\d+$/.test(value)) return Number(value)
  return typeof value === 'string' ? `Can not convert '${value}' to integer` : `Unknown type for cast: ${goType(value)}`
}

/** The Go type go-toml decodes a TOML value to, for messages that quote flyctl. */
export function goType(value: unknown): string {
  if (typeof value === 'string') return 'string'
  if (typeof value === 'boolean') return 'bool'
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64'
  if (value instanceof Date) return 'time.Time'
  if (Array.isArray(value)) return '[]interface {}'
  return 'map[string]interface {}'
}

/**
 * A legacy duration: a number is a count of `unit` ms (flyctl truncates floats first), "" means
 * unset, a string is kept; anything else is dropped as flyctl does.
 */
function castDuration(value: unknown, unitMs: number): string | undefined {
  if (typeof value === 'number') return formatDuration(Math.trunc(value) * unitMs)
  return typeof value === 'string' && value !== '' ? value : undefined
}

function setOrDelete(table: Table, key: string, value: unknown): void {
  if (value === undefined) delete table[key]
  else table[key] = value
}

/** `[env]` or `[[env]]`: one string map; non-string values printed as Go would. */
const patchEnv: Patch = (cfg, ctx) => {
  if (!('env' in cfg)) return cfg
  const parts = tablesOf(cfg.env)
  if (!parts) {
    ctx.fail('env', `Do not know how to process 'env' section of type: ${goType(cfg.env)}`)
    delete cfg.env
    return cfg
  }
  if (Array.isArray(cfg.env)) parts.forEach((part, i) => Object.keys(part).forEach((k) => ctx.moved(join('env', k), join(`env[${i}]`, k))))
  cfg.env = Object.fromEntries(parts.flatMap((part) => Object.entries(part).map(([k, v]) => [k, goString(v)])))
  return cfg
}

function patchCheck(check: Table, path: string, ctx: PatchContext): Table {
  for (const key of ['interval', 'timeout', 'grace_period']) {
    if (key in check) setOrDelete(check, key, castDuration(check[key], 1))
  }
  if ('headers' in check) {
    const headers = patchHeaders(check.headers)
    if (typeof headers === 'string') {
      ctx.fail(`${path}.headers`, headers)
      delete check.headers
    } else setOrDelete(check, 'headers', Object.keys(headers).length ? headers : undefined)
  }
  return check
}

/** Headers as a map, or as the legacy list of `{name, value}` tables. */
function patchHeaders(raw: unknown): Record<string, string> | string {
  if (isTable(raw)) return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, goString(v)]))
  if (!Array.isArray(raw)) return `Unsupported headers format: ${goString(raw)}`
  const headers: Record<string, string> = {}
  for (const item of raw) {
    if (!isTable(item) || !('name' in item)) return `Unsupported headers format ${goString(item)}`
    headers[goString(item.name)] = 'value' in item ? goString(item.value) : ''
  }
  return headers
}

function patchService(service: Table, path: string, ctx: PatchContext): Table {
  const {concurrency} = service
  if (typeof concurrency === 'string') {
    const match = /^([+-]?\d+),([+-]?\d+)$/.exec(concurrency)
    if (match) service.concurrency = {type: 'requests', hard_limit: Number(match[2]), soft_limit: Number(match[1])}
    else {
      ctx.fail(`${path}.concurrency`, `Unknown value '${concurrency}' for concurrency limits`)
      delete service.concurrency
    }
  } else if (concurrency !== undefined && !isTable(concurrency)) {
    ctx.fail(`${path}.concurrency`, `Unknown type for service concurrency: ${goType(concurrency)}`)
    delete service.concurrency
  }
  if ('ports' in service) {
    const ports = tablesOf(service.ports)
    if (!ports) {
      ctx.fail(`${path}.ports`, `Error processing ports: ${goType(service.ports)}`)
      delete service.ports
    } else {
      if (isTable(service.ports)) ctx.moved(`${path}.ports[0]`, `${path}.ports`)
      ports.forEach((port, i) => patchInt(port, 'port', `${path}.ports[${i}]`, ctx))
      service.ports = ports
    }
  }
  for (const kind of ['tcp_checks', 'http_checks']) {
    if (!(kind in service)) continue
    const checks = tablesOf(service[kind])
    if (!checks) ctx.fail(`${path}.${kind}`, `Error processing ${kind}: Unknown type '${goType(service[kind])}'`)
    setOrDelete(service, kind, checks?.length ? checks.map((c, i) => patchCheck(c, `${path}.${kind}[${i}]`, ctx)) : undefined)
  }
  patchInt(service, 'internal_port', path, ctx)
  return service
}

function patchInt(table: Table, key: string, path: string, ctx: PatchContext): void {
  if (!(key in table)) return
  const value = toInt(table[key])
  if (typeof value === 'number') table[key] = value
  else {
    ctx.fail(`${path}.${key}`, value)
    delete table[key]
  }
}

/** `[[services]]` (or one `[services]` table): string ports, "soft,hard" concurrency, ms checks; empty services dropped. */
const patchServices: Patch = (cfg, ctx) => {
  if (!('services' in cfg)) return cfg
  const services = tablesOf(cfg.services)
  if (!services) {
    ctx.fail('services', `Error processing services: Unknown type '${goType(cfg.services)}'`)
    delete cfg.services
    return cfg
  }
  if (isTable(cfg.services)) ctx.moved('services[0]', 'services')
  const kept: Table[] = []
  services.forEach((service, i) => {
    const patched = patchService(service, `services[${i}]`, ctx)
    if (Object.keys(patched).length) {
      if (kept.length !== i) ctx.moved(`services[${kept.length}]`, `services[${i}]`)
      kept.push(patched)
    }
  })
  setOrDelete(cfg, 'services', kept.length ? kept : undefined)
  return cfg
}

/** `[[processes]] name=… command=…` and `processes = []` -> a map (absent when empty). */
const patchProcesses: Patch = (cfg, ctx) => {
  const raw = cfg.processes
  if (raw === undefined || isTable(raw)) return cfg
  if (!Array.isArray(raw)) {
    ctx.fail('processes', `Unknown processes type: ${goType(raw)}`)
    delete cfg.processes
    return cfg
  }
  const processes: Record<string, string> = {}
  raw.forEach((item, i) => {
    if (!isTable(item) || !('name' in item)) return
    const name = goString(item.name)
    processes[name] = 'command' in item ? goString(item.command) : ''
    ctx.moved(join('processes', name), `processes[${i}]`)
  })
  setOrDelete(cfg, 'processes', Object.keys(processes).length ? processes : undefined)
  return cfg
}

/** `[experimental]`: string cmd/entrypoint/exec -> 1-element arrays; kill_timeout and metrics_* move out. */
const patchExperimental: Patch = (cfg, ctx) => {
  if (!('experimental' in cfg)) return cfg
  const experimental = cfg.experimental
  if (!isTable(experimental)) {
    ctx.fail('experimental', `Experimental section of unknown type: ${goType(experimental)}`)
    delete cfg.experimental
    return cfg
  }
  for (const key of ['cmd', 'entrypoint', 'exec']) {
    const value = experimental[key]
    if (typeof value === 'string') experimental[key] = [value]
    else if (value !== undefined && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) {
      ctx.fail(`experimental.${key}`, `could not cast ${goString(value)} of type ${goType(value)} to []string on ${key}`)
      delete experimental[key]
    }
  }
  // Migrated only where the modern key is absent; a shadowed legacy key stays and is reported as unknown.
  if ('kill_timeout' in experimental && !('kill_timeout' in cfg)) {
    setOrDelete(cfg, 'kill_timeout', castDuration(experimental.kill_timeout, 1000))
    ctx.moved('kill_timeout', 'experimental.kill_timeout')
    delete experimental.kill_timeout
  }
  const metrics = Object.fromEntries(
    ['port', 'path'].filter((k) => `metrics_${k}` in experimental).map((k) => [k, experimental[`metrics_${k}`]]),
  )
  if (Object.keys(metrics).length && !('metrics' in cfg)) {
    cfg.metrics = metrics
    for (const k of Object.keys(metrics)) {
      ctx.moved(`metrics[0].${k}`, `experimental.metrics_${k}`)
      delete experimental[`metrics_${k}`]
    }
  }
  setOrDelete(cfg, 'experimental', Object.keys(experimental).length ? experimental : undefined)
  return cfg
}

/** `[checks.NAME]`, or the legacy array of checks carrying `name`: durations in ms, header lists. */
const patchTopLevelChecks: Patch = (cfg, ctx) => {
  if (!('checks' in cfg)) return cfg
  const raw = cfg.checks
  const checks: Table = {}
  if (isTable(raw)) {
    for (const [name, check] of Object.entries(raw)) {
      if (isTable(check)) checks[name] = patchCheck(check, join('checks', name), ctx)
      else ctx.fail(join('checks', name), `'checks' section of unknown type: ${goType(check)}`)
    }
  } else if (Array.isArray(raw)) {
    raw.forEach((check, i) => {
      if (!isTable(check)) return ctx.fail(`checks[${i}]`, `check item of unknown type: ${goType(check)}`)
      if (typeof check.name !== 'string') return ctx.fail(`checks[${i}]`, 'check item name not a string')
      const {name, ...rest} = check
      checks[name] = patchCheck(rest, join('checks', name), ctx)
      ctx.moved(join('checks', name), `checks[${i}]`)
    })
  } else ctx.fail('checks', `'checks' section of unknown type: ${goType(raw)}`)
  setOrDelete(cfg, 'checks', Object.keys(checks).length ? checks : undefined)
  return cfg
}

/** Merges singular/plural aliases into one array of tables, in flyctl's key order. */
function mergeAliases(cfg: Table, ctx: PatchContext, target: string, aliases: string[], numericKey?: string): void {
  const merged: Table[] = []
  for (const alias of aliases) {
    if (!(alias in cfg)) continue
    const tables = tablesOf(cfg[alias])
    if (!tables) ctx.fail(alias, `Error processing ${target}: Unknown type '${goType(cfg[alias])}'`)
    else {
      tables.forEach((_, i) =>
        ctx.moved(`${target}[${merged.length + i}]`, isTable(cfg[alias]) ? alias : `${alias}[${i}]`),
      )
      merged.push(...tables)
    }
    delete cfg[alias]
  }
  if (numericKey) for (const table of merged) if (numericKey in table) table[numericKey] = goString(table[numericKey])
  setOrDelete(cfg, target, merged.length ? merged : undefined)
}

/** `[vm]`, `[compute]`, `[[computes]]` -> `[[vm]]`; a bare `memory = 512` means MB. */
const patchCompute: Patch = (cfg, ctx) => (mergeAliases(cfg, ctx, 'vm', ['compute', 'computes', 'vm'], 'memory'), cfg)
/** `[mount]`/`[mounts]` -> `[[mounts]]`; a bare `initial_size = 10` means GB. */
const patchMounts: Patch = (cfg, ctx) => (mergeAliases(cfg, ctx, 'mounts', ['mount', 'mounts'], 'initial_size'), cfg)
/** `[metric]`/`[metrics]` -> `[[metrics]]`. */
const patchMetrics: Patch = (cfg, ctx) => (mergeAliases(cfg, ctx, 'metrics', ['metric', 'metrics']), cfg)

/** A bare `kill_timeout = 5` means seconds. */
const patchTopFields: Patch = (cfg) => {
  if ('kill_timeout' in cfg) setOrDelete(cfg, 'kill_timeout', castDuration(cfg.kill_timeout, 1000))
  return cfg
}

/** `[build] build_target` -> `build-target`; an empty `[build]` is dropped. */
const patchBuild: Patch = (cfg, ctx) => {
  if (!('build' in cfg)) return cfg
  const build = cfg.build
  if (!isTable(build)) {
    ctx.fail('build', `Build section of unknown type: ${goType(build)}`)
    delete cfg.build
    return cfg
  }
  if ('build_target' in build) {
    build['build-target'] = build.build_target
    delete build.build_target
    ctx.moved('build.build-target', 'build.build_target')
  }
  setOrDelete(cfg, 'build', Object.keys(build).length ? build : undefined)
  return cfg
}

/** In flyctl's order: later patches rely on earlier ones (metrics reads what experimental moved). */
export const legacyPatches: readonly Patch[] = [
  patchEnv,
  patchServices,
  patchProcesses,
  patchExperimental,
  patchTopLevelChecks,
  patchCompute,
  patchMounts,
  patchMetrics,
  patchTopFields,
  patchBuild,
]

export function applyLegacyPatches(cfg: Table, ctx: PatchContext): Table {
  return legacyPatches.reduce((table, patch) => patch(table, ctx), cfg)
}
