import {groupNameProblem, joinKeyPath, type FlyConfig} from '../config/index.js'
import {FlotillaError, LocatedError} from '../errors.js'
import type {SplitOptions} from './types.js'

type Filtered = {processes?: string[]}

/** Every section that carries a `processes` filter (fly-platform.md 1.4), with its key path. */
function namedFilters(config: FlyConfig): [string, Filtered][] {
  const list = (key: string, items: Filtered[] | undefined) => (items ?? []).map((item, i): [string, Filtered] => [`${key}[${i}]`, item])
  return [
    ...(config.http_service ? [['http_service', config.http_service] as [string, Filtered]] : []),
    ...list('services', config.services),
    ...Object.entries(config.checks ?? {}).map(([name, check]): [string, Filtered] => [joinKeyPath('checks', name), check]),
    ...list('mounts', config.mounts),
    ...list('files', config.files),
    ...list('metrics', config.metrics),
    ...list('restart', config.restart),
    ...list('vm', config.vm),
  ]
}

/**
 * Input errors the split cannot work around: group names that are not DNS labels, filters and
 * flags naming groups that do not exist, and a group with no command to run.
 */
export function checkGroups(config: FlyConfig, groups: string[], options: SplitOptions): void {
  const at = (keyPath: string) => ({file: options.file, keyPath})
  for (const group of groups) {
    const problem = groupNameProblem(group)
    if (problem) throw new LocatedError('E_GROUP_NAME', problem, at(joinKeyPath('processes', group)))
    const command = config.processes?.[group] ?? ''
    if (command.trim() === '' && !config.experimental?.cmd?.length) {
      throw new LocatedError('E_EMPTY_COMMAND', `group "${group}" has an empty command and there is no [experimental] cmd, so it runs the image's CMD, which split cannot see; write the command this group runs in [processes]`, at(joinKeyPath('processes', group)))
    }
  }
  const known = `known groups: ${groups.join(', ')}`
  for (const [path, section] of namedFilters(config)) {
    const unknown = (section.processes ?? []).find((g) => g !== '' && !groups.includes(g)) // '' is flyctl's default group
    if (unknown !== undefined) throw new LocatedError('E_UNKNOWN_GROUP', `processes names "${unknown}", which is not a process group (${known})`, at(`${path}.processes`))
  }
  const flags: [string, string | undefined][] = [
    ...Object.keys(options.names ?? {}).map((g): [string, string] => ['--name', g]),
    ['--public', options.public],
    ['--release-in', options.releaseIn],
  ]
  for (const [flag, group] of flags) {
    if (group !== undefined && !groups.includes(group)) throw new FlotillaError('E_UNKNOWN_GROUP', `${flag}: "${group}" is not a process group of ${options.file} (${known})`)
  }
}

/** External ports Fly Proxy routes to a flattened group, as `443/tcp` (UDP and TCP ports do not clash). */
export function publicPorts(flat: FlyConfig): string[] {
  const ports = flat.http_service ? ['80/tcp', '443/tcp'] : []
  for (const service of flat.services ?? []) {
    for (const port of service.ports ?? []) {
      const number = port.port ?? port.start_port
      if (number !== undefined) ports.push(`${number}/${service.protocol ?? 'tcp'}`)
    }
  }
  return ports
}

/** One line per section an app received, for the report (`http_service :8080 (80/443)`…). */
export function sectionSummary(fly: FlyConfig): string[] {
  const lines: string[] = []
  const group = Object.keys(fly.processes ?? {})[0]
  if (group !== undefined) lines.push(`command: ${fly.processes?.[group] || `[experimental] cmd ${JSON.stringify(fly.experimental?.cmd ?? [])}`}`)
  if (fly.http_service) lines.push(`http_service -> :${fly.http_service.internal_port ?? '?'} (public 80/443)`)
  for (const s of fly.services ?? []) {
    const ports = (s.ports ?? []).map((p) => p.port ?? `${p.start_port}-${p.end_port}`).join(',')
    lines.push(`service ${s.protocol ?? 'tcp'} ${ports || '(no public ports)'} -> :${s.internal_port ?? '?'}`)
  }
  const checks = Object.keys(fly.checks ?? {})
  if (checks.length) lines.push(`checks: ${checks.join(', ')}`)
  for (const m of fly.mounts ?? []) lines.push(`volume ${m.source ?? '?'} at ${m.destination ?? '?'}`)
  const vm = fly.vm?.[0]
  if (vm) lines.push(`vm: ${[vm.size, vm.memory && `${vm.memory} memory`, vm.cpus && `${vm.cpus} cpu${vm.cpus === 1 ? '' : 's'}`].filter(Boolean).join(', ') || 'default'}`)
  if (fly.deploy?.release_command) lines.push(`release_command: ${fly.deploy.release_command}`)
  if (fly.statics?.length) lines.push(`statics: ${fly.statics.map((s) => s.url_prefix).join(', ')}`)
  if (fly.files?.length) lines.push(`files: ${fly.files.map((f) => f.guest_path).join(', ')}`)
  if (fly.metrics?.length) lines.push(`metrics: :${fly.metrics[0]?.port}${fly.metrics[0]?.path ?? ''}`)
  if (fly.restart?.length) lines.push(`restart: ${fly.restart.at(-1)?.policy}`)
  return lines
}
