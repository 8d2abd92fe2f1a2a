/**
 * flyctl's `Config.Validate` rules and messages (fly-platform.md §1.8, flyctl `validation.go`),
 * returning every finding as data with the key path it concerns. Two findings flyctl misses
 * are added: per-group Machine conversion failures (flyctl's check has a bug and never reports
 * them; deploy then fails) and, as a warning, a group with more than one mount.
 */
import {FlotillaError} from '../errors.js'
import {formatDuration, parseDuration} from './duration.js'
import {flattenView, vmForGroup} from './flatten.js'
import {join} from './locate.js'
import {machineChecks, vmToGuest} from './machine.js'
import {appNameProblem, groupNameProblem} from './names.js'
import {defaultGroup, processGroups} from './process-groups.js'
import {shellSplit} from './shell-split.js'
import {GB, parseSize} from './size.js'
import type {FlyConfig, HttpCheck, Mount, TcpCheck} from './types.js'

export interface Finding {
  severity: 'error' | 'warning'
  code: string
  message: string
  keyPath: string
}

const strategies = ['canary', 'rolling', 'immediate', 'bluegreen']
const killSignals = ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGKILL', 'SIGSTOP']

export function validateFlyConfig(config: FlyConfig): Finding[] {
  const findings: Finding[] = []
  const error = (keyPath: string, code: string, message: string): void => void findings.push({severity: 'error', code, message, keyPath})
  const warning = (keyPath: string, code: string, message: string): void => void findings.push({severity: 'warning', code, message, keyPath})
  const groups = processGroups(config)
  const fallback = defaultGroup(config)
  const splits = (command: string | undefined): boolean => {
    try {
      shellSplit(command ?? '')
      return true
    } catch {
      return false
    }
  }

  // [build]: one strategy only (flyctl only warns).
  const build = buildStrategies(config)
  if (build.length > 1) warning('build', 'W_BUILD_STRATEGIES', `more than one build configuration found: [${build.join(', ')}]`)

  // [deploy]
  const {deploy} = config
  if (deploy) {
    if (!splits(deploy.release_command)) error('deploy.release_command', 'E_SHELL_SPLIT', `Can't shell split release command: '${deploy.release_command}'`)
    const strategy = deploy.strategy
    if (strategy && !strategies.includes(strategy)) {
      error('deploy.strategy', 'E_DEPLOY_STRATEGY', `unsupported deployment strategy '${strategy}'; Apps v2 supports the following strategies: ${strategies.join(', ')}`)
    }
    if (strategy === 'canary' && config.mounts?.length) {
      error('deploy.strategy', 'E_DEPLOY_STRATEGY', 'canary deployment strategy is not supported when using mounted volumes')
    }
  }

  // [checks]: Machine checks need a type; flaps bounds interval ≥ 2s and timeout ≤ 60s.
  for (const [name, check] of Object.entries(config.checks ?? {})) {
    const path = join('checks', name)
    if (check.type !== 'http' && check.type !== 'tcp') {
      error(`${path}.type`, 'E_CHECK_TYPE', `Can't process top level check '${name}': Missing or invalid check type, must be 'http' or 'tcp'`)
    }
    const interval = check.interval === undefined ? undefined : parseDuration(check.interval)
    if (interval !== undefined && interval < 2000) {
      error(`${path}.interval`, 'E_CHECK_INTERVAL', `Check '${name}' interval is too short: ${formatDuration(interval)}, minimum is 2 seconds`)
    }
    const timeout = check.timeout === undefined ? undefined : parseDuration(check.timeout)
    if (timeout !== undefined && timeout > 60_000) {
      error(`${path}.timeout`, 'E_CHECK_TIMEOUT', `Check '${name}' timeout is too long: ${formatDuration(timeout)}, maximum is 60 seconds`)
    }
  }

  // [http_service] and [[services]]: group filters must name real groups; ports expected.
  const declared = Object.keys(config.processes ?? {}).length
  const services = [
    ...(config.http_service ? [{path: 'http_service', service: config.http_service, ports: 2, checks: {HTTP: config.http_service.checks}}] : []),
    ...(config.services ?? []).map((service, i) => ({
      path: `services[${i}]`, service, ports: service.ports?.length ?? 0, checks: {TCP: service.tcp_checks, HTTP: service.http_checks},
    })),
  ]
  for (const {path, service, ports, checks} of services) {
    if (!service.processes?.length && declared > 0) {
      error(path, 'E_SERVICE_PROCESSES', `Service has no processes set but app has ${declared} processes defined; update fly.toml to set processes for each service`)
    }
    service.processes?.forEach((name, i) => {
      if (groups.includes(name)) return
      // fly launch writes `processes = ['app']`, which breaks once [processes] has no `app` (flyctl#3140).
      const hint = name === 'app' && declared ? ` (fly launch's default processes = ['app'] needs an 'app' group; this file has ${groups.join(', ')})` : ''
      error(`${path}.processes[${i}]`, 'E_UNKNOWN_GROUP',
        `Service specifies '${name}' as one of its processes, but no processes are defined with that name; update fly.toml [processes] to add '${name}' process or remove it from service's processes list${hint}`)
    })
    if (ports === 0) {
      warning(path, 'W_SERVICE_PORTS', 'Service must expose at least one port. Add a [[services.ports]] section to fly.toml; Check docs at https://fly.io/docs/reference/configuration/#services-ports')
    }
    for (const [proto, list] of Object.entries(checks)) {
      list?.forEach((check, i) => serviceCheckDurations(check, proto, `${path}.${path === 'http_service' ? 'checks' : `${proto.toLowerCase()}_checks`}[${i}]`, warning))
    }
  }

  // [processes], console_command: commands must shell-split.
  for (const [name, command] of Object.entries(config.processes ?? {})) {
    if (command === '') continue
    try {
      shellSplit(command)
    } catch (e) {
      error(join('processes', name), 'E_SHELL_SPLIT', `Could not parse command for '${name}' process group; check [processes] section: ${(e as Error).message}`)
    }
  }
  if (!splits(config.console_command)) error('console_command', 'E_SHELL_SPLIT', `Can't shell split console command: '${config.console_command}'`)

  // Per group: what would make deploy fail to build the group's Machine config (the check port
  // rule and the guest; commands and restart policies are checked above), and at most one mount.
  for (const group of groups) {
    const flat = flattenView(config, group)
    const vm = flat.vm?.[0]
    for (const convert of [() => machineChecks(flat, group), () => vm && vmToGuest(vm, flat.host_dedication_id, group)]) {
      try {
        convert()
      } catch (e) {
        if (!(e instanceof FlotillaError)) throw e
        if (reportedElsewhere.some((prefix) => e.message.startsWith(prefix))) continue
        error(conversionPath(config, group, e.message), 'E_MACHINE_CONVERSION', `Converting to machine in process group '${group}' will fail because of: ${e.message}`)
      }
    }
    if ((flat.mounts?.length ?? 0) > 1) {
      warning('mounts', 'W_GROUP_MOUNTS', `group '${group}' has more than one [[mounts]] section defined; fly deploy uses only the first`)
    }
  }

  // Sections without a `processes` filter silently go to the default group only (flyctl
  // Flatten); in a multi-group app that is rarely what was meant. Services are errors above.
  // Not [[files]]: fly deploy writes every entry to every group whatever the filter (MergedFiles).
  if (groups.length > 1) {
    const others = groups.filter((g) => g !== fallback).join(', ')
    const unfiltered = (path: string, section: string): void =>
      warning(path, 'W_DEFAULT_GROUP_ONLY', `${section} has no processes filter, so it applies to the default group '${fallback}' only, not to ${others}`)
    for (const [key, section] of [['mounts', '[[mounts]]'], ['metrics', '[[metrics]]'], ['restart', '[[restart]]']] as const) {
      config[key]?.forEach((entry, i) => entry.processes?.length || unfiltered(`${key}[${i}]`, section))
    }
    for (const [name, check] of Object.entries(config.checks ?? {})) if (!check.processes?.length) unfiltered(join('checks', name), `[checks.${name}]`)
  }

  names(config, warning)

  // kill_signal: flyctl passes any string on; the platform knows these.
  if (config.kill_signal !== undefined && !killSignals.includes(config.kill_signal)) {
    warning('kill_signal', 'W_KILL_SIGNAL', `kill_signal '${config.kill_signal}' is not one Fly supports (${killSignals.join(', ')})`)
  }

  // [[mounts]]
  config.mounts?.forEach((mount, i) => validateMount(mount, `mounts[${i}]`, error))

  // [[restart]]
  config.restart?.forEach((restart, i) => {
    restart.processes?.forEach((name, k) => {
      if (groups.includes(name)) return
      error(`restart[${i}].processes[${k}]`, 'E_UNKNOWN_GROUP',
        `Restart policy specifies '${name}' as one of its processes, but no processes are defined with that name; update fly.toml [processes] to add '${name}' process or remove it from restart policy's processes list`)
    })
    if (!['always', 'never', 'on-failure'].includes(restart.policy ?? '')) {
      error(`restart[${i}].policy`, 'E_RESTART_POLICY', `invalid restart policy: ${restart.policy ?? ''}`)
    }
  })

  // [build] compression
  const compression = config.build?.compression
  if (compression && compression !== 'gzip' && compression !== 'zstd') {
    error('build.compression', 'E_COMPRESSION', `Invalid value '${compression}' for compression. Valid options are 'gzip', 'zstd', or leave unset.`)
  }
  const level = config.build?.compression_level
  if (level !== undefined && (level < 0 || level > 9)) {
    error('build.compression_level', 'E_COMPRESSION', `Invalid value '${level}' for compression level. Must be an integer between 0 and 9.`)
  }
  return findings
}

/** Names the platform overrides in every Machine's env (fly-platform.md §2.7), whatever [env] says. */
const platformEnv = new Set([
  'FLY_APP_NAME', 'FLY_MACHINE_ID', 'FLY_ALLOC_ID', 'FLY_REGION', 'FLY_PUBLIC_IP', 'FLY_PRIVATE_IP',
  'FLY_IMAGE_REF', 'FLY_MACHINE_VERSION', 'FLY_VM_MEMORY_MB', 'FLY_PROCESS_GROUP',
])

/**
 * Name rules flyctl does not check client-side (fly-platform.md §1.11), so warnings: the app
 * name the API will refuse, group names that cannot be the DNS label of
 * `<group>.process.<app>.internal` (split refuses them), and reserved `FLY_*` env names.
 */
function names(config: FlyConfig, warning: (p: string, c: string, m: string) => void): void {
  const app = config.app
  if (app !== undefined && app !== '') {
    const problem = appNameProblem(app)
    if (problem) warning('app', 'W_APP_NAME', `${problem}; flyctl accepts the file but the Fly API will refuse the name (it must work as the hostname label of <app>.fly.dev and <app>.internal)`)
  }
  for (const group of Object.keys(config.processes ?? {})) {
    const problem = groupNameProblem(group)
    if (problem) warning(join('processes', group), 'W_GROUP_NAME', `${problem}; flyctl accepts it, flotilla split refuses it`)
  }
  for (const name of Object.keys(config.env ?? {})) {
    if (!name.startsWith('FLY_')) continue
    const fate = platformEnv.has(name) ? 'every Machine gets the platform\'s value instead of this one' : 'the platform may set it and override this value'
    warning(join('env', name), 'W_RESERVED_ENV', `'${name}' in [env]: Fly reserves FLY_* names; ${fate}`)
  }
}

/** flyctl's names for the build strategies it finds, for the "more than one" warning. */
function buildStrategies(config: FlyConfig): string[] {
  const b = config.build
  if (!b) return []
  return [
    ...(b.image ? [`the "${b.image}" docker image`] : []),
    ...(b.builder || b.buildpacks?.length ? ['a buildpack'] : []),
    ...(b.dockerfile ? [`the "${b.dockerfile}" dockerfile`] : b['build-target'] ? ['a dockerfile'] : []),
    ...(b.builtin ? [`the "${b.builtin}" builtin image`] : []),
  ]
}

/** Service checks outside 1s–1min are clamped by the platform (flyctl warns). */
function serviceCheckDurations(check: HttpCheck | TcpCheck, proto: string, path: string, warning: (p: string, c: string, m: string) => void): void {
  const rules = [['interval', 'an interval', false], ['timeout', 'a timeout', false], ['grace_period', 'a grace period', true]] as const
  for (const [key, description, zeroOk] of rules) {
    const raw = check[key]
    if (raw === undefined) continue
    const ms = parseDuration(raw)
    const shown = formatDuration(ms)
    if (ms < 1000 && !(zeroOk && ms === 0)) {
      const what = zeroOk ? `${description} that is non-zero and less than 1 second` : `${description} less than 1 second`
      warning(`${path}.${key}`, 'W_CHECK_DURATION', `Service ${proto} check has ${what} (${shown}); this will be raised to 1 second`)
    } else if (ms > 60_000) {
      warning(`${path}.${key}`, 'W_CHECK_DURATION', `Service ${proto} check has ${description} greater than 1 minute (${shown}); this will be lowered to 1 minute`)
    }
  }
}

function validateMount(m: Mount, path: string, error: (p: string, c: string, msg: string) => void): void {
  const source = m.source ?? ''
  const size = (key: 'initial_size' | 'auto_extend_size_increment' | 'auto_extend_size_limit'): number => {
    const text = m[key]
    if (!text) return 0
    let gb: number
    try {
      gb = parseSize(text, GB, false)
    } catch (e) {
      error(`${path}.${key}`, 'E_MOUNT', `mount '${source}' with ${key} '${text}' will fail because of: ${(e as Error).message}`)
      return 0
    }
    if (gb < 1) error(`${path}.${key}`, 'E_MOUNT', `mount '${source}' has an ${key} '${text}' value which is smaller than 1GB`)
    return gb
  }
  size('initial_size')
  const retention = m.snapshot_retention
  if (retention !== undefined && (retention < 1 || retention > 60)) {
    error(`${path}.snapshot_retention`, 'E_MOUNT', `mount '${source}' has a snapshot_retention value which is not between 1 and 60 days inclusive`)
  }
  const increment = size('auto_extend_size_increment')
  const limit = size('auto_extend_size_limit')
  const threshold = m.auto_extend_size_threshold ?? 0
  if (threshold === 0 && increment === 0 && limit === 0) return
  if (threshold !== 0 && increment === 0 && limit === 0) {
    error(path, 'E_MOUNT', `mount '${source}' auto_extend_size_threshold, auto_extend_size_increment and auto_extend_size_limit must be all defined or none`)
  }
  if (threshold < 50 || threshold > 99) error(`${path}.auto_extend_size_threshold`, 'E_MOUNT', `mount '${source}' auto_extend_size_threshold must be between 50 and 99`)
  if (increment < 1 || increment > 100) error(`${path}.auto_extend_size_increment`, 'E_MOUNT', `mount '${source}' auto_extend_size_increment must be between 1GB and 100GB`)
  if (limit !== 0 && (limit < 1 || limit > 500)) error(`${path}.auto_extend_size_limit`, 'E_MOUNT', `mount '${source}' auto_extend_size_limit must be between 1GB and 500GB`)
}

/** Conversion failures whose cause the section rules above already report. */
const reportedElsewhere = ['Missing or invalid check type']

/** Where a conversion failure points: the check without a port, else the group's `[[vm]]`. */
function conversionPath(config: FlyConfig, group: string, message: string): string {
  const check = /^Check '(.+)' for process group/.exec(message)?.[1]
  if (check !== undefined) return join('checks', check)
  const index = config.vm?.indexOf(vmForGroup(config.vm, group, defaultGroup(config))!) ?? -1
  return index >= 0 ? `vm[${index}]` : ''
}
