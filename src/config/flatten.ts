/**
 * flyctl's `Config.Flatten(group)` (fly-platform.md §1.4–1.6): the config one process group's
 * Machines get. A section "matches" G when its `processes` lists G, or when it has no
 * `processes` and G is the default group. One block per section, in flyctl's order.
 */
import {defaultGroup} from './process-groups.js'
import type {FlyConfig, Vm} from './types.js'

/** Does a section with this `processes` filter apply to `group`? */
export function groupMatches(filter: readonly string[] | undefined, group: string, fallback: string): boolean {
  if (!filter?.length) return group === fallback
  return filter.some((name) => name === group || (name === '' && group === fallback))
}

/**
 * The `[[vm]]` for a group. Unlike other sections an unfiltered `[[vm]]` applies to every group;
 * among the candidates the last one naming G wins, else the first.
 */
export function vmForGroup(vms: readonly Vm[] | undefined, group: string): Vm | undefined {
  const candidates = (vms ?? []).filter((vm) => !vm.processes?.length || vm.processes.includes(group))
  return candidates.findLast((vm) => vm.processes?.includes(group)) ?? candidates[0]
}

export function flatten(config: FlyConfig, group?: string): FlyConfig {
  const fallback = defaultGroup(config)
  const g = group || fallback
  const matches = (filter: readonly string[] | undefined): boolean => groupMatches(filter, g, fallback)
  const only = <T extends {processes?: string[]}>(sections: T[] | undefined): T[] | undefined => {
    const kept = sections?.filter((s) => matches(s.processes)).map((s) => ({...s, processes: [g]}))
    return kept?.length ? kept : undefined
  }
  const out: FlyConfig = structuredClone(config)
  const set = <K extends keyof FlyConfig>(key: K, value: FlyConfig[K] | undefined): void => {
    if (value === undefined) delete out[key]
    else out[key] = value
  }

  // [processes]: only G's command, so the flattened config's default group is G.
  if (out.processes) {
    const entries = Object.entries(out.processes).filter(([name]) => name === g || (name === '' && g === fallback))
    set('processes', entries.length ? Object.fromEntries(entries) : undefined)
  }

  // [checks]: matching checks, re-tagged with G.
  if (out.checks) {
    const entries = Object.entries(out.checks).filter(([, check]) => matches(check.processes))
    set('checks', entries.length ? Object.fromEntries(entries.map(([name, check]) => [name, {...check, processes: [g]}])) : undefined)
  }

  // [http_service]
  if (out.http_service) set('http_service', matches(out.http_service.processes) ? {...out.http_service, processes: [g]} : undefined)

  // [[services]], [[mounts]], [[files]], [[metrics]], [[restart]]: every matching entry, in order.
  set('services', only(out.services))
  set('mounts', only(out.mounts))
  set('files', only(out.files))
  set('metrics', only(out.metrics))
  set('restart', only(out.restart))

  // [[vm]]: the one most specific entry; its host_dedication_id overrides the top-level one.
  const vm = vmForGroup(out.vm, g)
  set('vm', vm ? [{...vm, processes: [g]}] : undefined)
  if (vm?.host_dedication_id) out.host_dedication_id = vm.host_dedication_id

  return out
}
