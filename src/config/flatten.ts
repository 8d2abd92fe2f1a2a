/**
 * flyctl's `Config.Flatten(group)` (fly-platform.md §1.4–1.6): the config one process group's
 * Machines get. A section "matches" G when its `processes` lists G, or when it has no
 * `processes` and G is the default group. One block per section, in flyctl's order.
 */
import {defaultGroup} from './process-groups.js'
import type {FlyConfig, Vm} from './types.js'

/** Does a section with this `processes` filter apply to `group`? */
function groupMatches(filter: readonly string[] | undefined, group: string, fallback: string): boolean {
  if (!filter?.length) return group === fallback
  return filter.some((name) => name === group || (name === '' && group === fallback))
}

/**
 * The `[[vm]]` for a group (flyctl's ComputeForGroup). Unlike other sections an unfiltered `[[vm]]`
 * applies to every group; the candidates are those and the ones matching G (`""` names the default
 * group, as everywhere); among them the last one naming G itself wins, else the first.
 */
export function vmForGroup(vms: readonly Vm[] | undefined, group: string, fallback: string): Vm | undefined {
  const candidates = (vms ?? []).filter((vm) => !vm.processes?.length || groupMatches(vm.processes, group, fallback))
  return candidates.findLast((vm) => vm.processes?.includes(group)) ?? candidates[0]
}

/** flyctl's `Config.Flatten(group)`; the result shares nothing with the input. */
export function flatten(config: FlyConfig, group?: string): FlyConfig {
  return structuredClone(flattenView(config, group))
}

/**
 * The flattened config as a read-only view: re-tagged sections are new objects, everything else
 * is shared with the input. For callers that only read it (toMachineConfig, validation).
 */
export function flattenView(config: FlyConfig, group?: string): FlyConfig {
  const fallback = defaultGroup(config)
  const g = group || fallback
  const matches = (filter: readonly string[] | undefined): boolean => groupMatches(filter, g, fallback)
  const only = <T extends {processes?: string[]}>(sections: T[] | undefined): T[] | undefined => {
    const kept = sections?.filter((s) => matches(s.processes)).map((s) => ({...s, processes: [g]}))
    return kept?.length ? kept : undefined
  }
  const {processes, checks, http_service: http} = config
  const vm = vmForGroup(config.vm, g, fallback)
  const sections: {[K in keyof FlyConfig]?: FlyConfig[K] | undefined} = {
    // [processes]: only G's command, so the flattened config's default group is G.
    processes: nonEmpty(Object.entries(processes ?? {}).filter(([name]) => name === g || (name === '' && g === fallback))),
    // [checks]: matching checks, re-tagged with G.
    checks: nonEmpty(Object.entries(checks ?? {}).filter(([, c]) => matches(c.processes)).map(([name, c]) => [name, {...c, processes: [g]}])),
    http_service: http && matches(http.processes) ? {...http, processes: [g]} : undefined,
    // [[services]], [[mounts]], [[files]], [[metrics]], [[restart]]: every matching entry, in order.
    services: only(config.services),
    mounts: only(config.mounts),
    files: only(config.files),
    metrics: only(config.metrics),
    restart: only(config.restart),
    // [[vm]]: the one most specific entry; its host_dedication_id overrides the top-level one.
    vm: vm ? [{...vm, processes: [g]}] : undefined,
    host_dedication_id: vm?.host_dedication_id || config.host_dedication_id,
  }
  // Everything else is shared unchanged; keys keep the input's order.
  const out: FlyConfig = {}
  for (const key of new Set([...Object.keys(config), ...Object.keys(sections)])) {
    const value = Object.hasOwn(sections, key) ? sections[key] : config[key]
    if (value !== undefined) out[key] = value
  }
  return out
}

const nonEmpty = <T>(entries: [string, T][]): Record<string, T> | undefined => (entries.length ? Object.fromEntries(entries) : undefined)
