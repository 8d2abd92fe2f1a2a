/**
 * flyctl's `ToMachineConfig(group)` (fly-platform.md §1.6 table): the Machine config `fly deploy`
 * would send for one process group, computed from the flattened config. Field names follow
 * fly-go's Machine API JSON. Deliberate difference: `files` honours the `[[files]]` group filter
 * (flyctl applies every file to every group at deploy time).
 */
import {FlotillaError} from '../errors.js'
import {flattenView} from './flatten.js'
import {shellSplit} from './shell-split.js'
import {MiB, parseSize} from './size.js'
import type {Duration, FileEntry, FlyConfig, HttpCheck, Metrics, Port, Service, Static, Vm} from './types.js'

export interface MachineHeader { name: string; values: string[] }
export interface MachineServiceCheck {
  type: 'http' | 'tcp'; interval?: Duration; timeout?: Duration; grace_period?: Duration; method?: string
  path?: string; protocol?: string; tls_skip_verify?: boolean; tls_server_name?: string; headers?: MachineHeader[]
}
export interface MachineCheck extends Omit<MachineServiceCheck, 'type'> { type: string; port?: number }
export interface MachineService {
  protocol?: string; internal_port?: number; ports?: Port[]; concurrency?: Service['concurrency']
  autostop?: string; autostart?: boolean; min_machines_running?: number; checks?: MachineServiceCheck[]
}
export interface MachineGuest {
  cpu_kind: string; cpus: number; memory_mb: number; gpus?: number; gpu_kind?: string
  kernel_args?: string[]; host_dedication_id?: string; persist_rootfs?: string
}
export interface MachineMount { path?: string; name?: string; extend_threshold_percent?: number; add_size_gb?: number; size_gb_limit?: number }
export interface MachineConfig {
  init: {cmd?: string[]; entrypoint?: string[]; exec?: string[]; swap_size_mb?: number}
  env: Record<string, string>
  metadata: Record<string, string>
  services?: MachineService[]
  checks?: Record<string, MachineCheck>
  statics?: Static[]
  mounts?: MachineMount[]
  stop_config?: {signal?: string; timeout?: Duration}
  files?: Omit<FileEntry, 'processes'>[]
  guest?: MachineGuest
  restart?: {policy: 'always' | 'on-failure' | 'no'; max_retries?: number}
  metrics?: Omit<Metrics, 'processes'>
}

/** fly-go's size presets: shared CPUs carry 256 MB each, performance CPUs 2 GB; GPU presets 8 CPUs + 32 GB. */
export const machinePresets: Readonly<Record<string, MachineGuest>> = Object.fromEntries([
  ...[1, 2, 4, 6, 8].map((n) => [`shared-cpu-${n}x`, {cpu_kind: 'shared', cpus: n, memory_mb: n * 256}]),
  ...[1, 2, 4, 6, 8, 10, 12, 14, 16].map((n) => [`performance-${n}x`, {cpu_kind: 'performance', cpus: n, memory_mb: n * 2048}]),
  ...Object.entries({'a100-40gb': 'a100-pcie-40gb', 'a100-80gb': 'a100-sxm4-80gb', l40s: 'l40s', a10: 'a10'}).map(
    ([size, gpuKind]) => [size, {cpu_kind: 'performance', cpus: 8, memory_mb: 32_768, gpus: 1, gpu_kind: gpuKind}],
  ),
])

const restartPolicies = {always: 'always', 'on-failure': 'on-failure', never: 'no'} as const

export function toMachineConfig(config: FlyConfig, group: string): MachineConfig {
  const flat = flattenView(config, group)
  const {experimental} = flat
  const command = flat.processes?.[group]
  const machine: MachineConfig = {
    init: {
      ...optional('cmd', command ? shellSplitFor(command, group) : experimental?.cmd),
      ...optional('entrypoint', experimental?.entrypoint),
      ...optional('exec', experimental?.exec),
      ...optional('swap_size_mb', flat.swap_size_mb),
    },
    // FLY_PROCESS_GROUP and PRIMARY_REGION override [env], as deploy writes them last.
    env: {...flat.env, FLY_PROCESS_GROUP: group, ...optional('PRIMARY_REGION', flat.primary_region || undefined)},
    metadata: {fly_platform_version: 'v2', fly_process_group: group},
  }
  const metrics = flat.metrics?.[0]
  if (metrics) machine.metrics = withoutProcesses(metrics)

  const services = [...(flat.http_service ? [httpServiceToService(flat.http_service)] : []), ...(flat.services ?? [])]
  if (services.length) machine.services = services.map(toMachineService)

  if (flat.checks) machine.checks = machineChecks(flat, group)
  if (flat.statics) machine.statics = flat.statics
  if (flat.mounts) machine.mounts = flat.mounts.map(toMachineMount)
  if (flat.kill_signal !== undefined || flat.kill_timeout !== undefined) {
    machine.stop_config = {...optional('signal', flat.kill_signal), ...optional('timeout', flat.kill_timeout)}
  }
  if (flat.files) machine.files = flat.files.map(withoutProcesses)
  const vm = flat.vm?.[0]
  if (vm) machine.guest = vmToGuest(vm, flat.host_dedication_id, group)
  const restart = flat.restart?.at(-1)
  if (restart) {
    const policy = restartPolicies[restart.policy as keyof typeof restartPolicies]
    if (!policy) throw conversion(group, `invalid restart policy: ${restart.policy ?? ''}`)
    machine.restart = {policy, ...optional('max_retries', restart.retries || undefined)}
  }
  return structuredClone(machine) // callers may edit it; the config must not change with it
}

/** Top-level checks of a flattened config; a check without `port` takes the group's http_service port. */
export function machineChecks(flat: FlyConfig, group: string): Record<string, MachineCheck> {
  const checks: Record<string, MachineCheck> = {}
  for (const [name, check] of Object.entries(flat.checks ?? {})) {
    if (check.type !== 'http' && check.type !== 'tcp') throw conversion(group, `Missing or invalid check type, must be 'http' or 'tcp'`)
    const port = check.port ?? (flat.http_service ? (flat.http_service.internal_port ?? 0) : undefined)
    if (port === undefined) {
      throw conversion(group, `Check '${name}' for process group '${group}' has no port set and the group has no http_service to take it from`)
    }
    const {processes: _, port: __, type, ...rest} = check
    checks[name] = {...toServiceCheck(type as 'http' | 'tcp', {...rest, ...optional('method', rest.method?.toUpperCase())}), port}
  }
  return checks
}

/** `[http_service]` is a TCP service on 80 (http, force_https) and 443 (http+tls). */
function httpServiceToService(http: NonNullable<FlyConfig['http_service']>): Service {
  const {internal_port, force_https, http_options, tls_options, checks, ...rest} = http
  return {
    ...rest,
    protocol: 'tcp',
    ...optional('internal_port', internal_port),
    ports: [
      {port: 80, handlers: ['http'], ...optional('force_https', force_https), ...optional('http_options', http_options)},
      {port: 443, handlers: ['http', 'tls'], ...optional('http_options', http_options), ...optional('tls_options', tls_options)},
    ],
    ...optional('http_checks', checks),
  }
}

function toMachineService(service: Service): MachineService {
  const checks = [
    ...(service.tcp_checks ?? []).map((check) => toServiceCheck('tcp', check)),
    ...(service.http_checks ?? []).map((check) => toServiceCheck('http', check)),
  ]
  return {
    ...optional('protocol', service.protocol),
    ...optional('internal_port', service.internal_port),
    ...optional('ports', service.ports),
    ...optional('concurrency', service.concurrency),
    ...optional('autostop', service.auto_stop_machines),
    ...optional('autostart', service.auto_start_machines),
    ...optional('min_machines_running', service.min_machines_running),
    ...(checks.length ? {checks} : {}),
  }
}

function toServiceCheck(type: 'http' | 'tcp', check: HttpCheck): MachineServiceCheck {
  const {headers, ...rest} = check
  const known = ['interval', 'timeout', 'grace_period', 'method', 'path', 'protocol', 'tls_skip_verify', 'tls_server_name'] as const
  const out: MachineServiceCheck = {type}
  for (const key of known) if (rest[key] !== undefined) Object.assign(out, {[key]: rest[key]})
  if (type === 'http' && headers && Object.keys(headers).length) {
    out.headers = Object.entries(headers).map(([name, value]) => ({name, values: [value]}))
  }
  return out
}

function toMachineMount(mount: NonNullable<FlyConfig['mounts']>[number]): MachineMount {
  // Invalid sizes are validation errors; here they count as unset, as in flyctl.
  const gb = (text: string | undefined): number | undefined => {
    try {
      return text ? parseSize(text, 1e9, false) || undefined : undefined
    } catch {
      return undefined
    }
  }
  return {
    ...optional('path', mount.destination),
    ...optional('name', mount.source),
    ...optional('extend_threshold_percent', mount.auto_extend_size_threshold || undefined),
    ...optional('add_size_gb', gb(mount.auto_extend_size_increment)),
    ...optional('size_gb_limit', gb(mount.auto_extend_size_limit)),
  }
}

/** `[[vm]]` -> guest: preset (default shared-cpu-1x, performance-8x with a GPU), then memory, then explicit fields. */
export function vmToGuest(vm: Vm, hostDedicationId: string | undefined, group: string): MachineGuest {
  const size = vm.size || (vm.gpu_kind ? 'performance-8x' : 'shared-cpu-1x')
  const preset = machinePresets[size]
  if (!preset) throw conversion(group, `'${size}' is an invalid machine size, choose one of: ${Object.keys(machinePresets).join(', ')}`)
  const guest: MachineGuest = {...preset, ...optional('host_dedication_id', hostDedicationId || undefined)}
  if (vm.memory) {
    let mb: number
    try {
      mb = parseSize(vm.memory, MiB, true)
    } catch (error) {
      throw conversion(group, (error as Error).message)
    }
    if (mb === 0) throw conversion(group, 'memory cannot be zero')
    guest.memory_mb = mb
  }
  const explicit = ['cpu_kind', 'cpus', 'memory_mb', 'gpus', 'gpu_kind', 'kernel_args', 'host_dedication_id', 'persist_rootfs'] as const
  for (const key of explicit) {
    const value = vm[key]
    if (value !== undefined && value !== '' && value !== 0 && !(Array.isArray(value) && !value.length)) Object.assign(guest, {[key]: value})
  }
  return guest
}

function shellSplitFor(command: string, group: string): string[] {
  try {
    return shellSplit(command)
  } catch (error) {
    throw conversion(group, `could not parse command for ${group} process group: ${(error as Error).message}`)
  }
}

const conversion = (group: string, message: string): FlotillaError =>
  new FlotillaError('E_MACHINE_CONVERSION', message, undefined, {cause: {group}})

function withoutProcesses<T extends {processes?: string[]}>(section: T): Omit<T, 'processes'> {
  const {processes: _, ...rest} = section
  return rest
}

/** `{[key]: value}` when value is defined, else `{}` (exactOptionalPropertyTypes-friendly spreads). */
function optional<K extends string, V>(key: K, value: V | undefined): {[P in K]?: V} {
  return (value === undefined ? {} : {[key]: value}) as {[P in K]?: V}
}
