import type {FlyConfig} from './types.js'

/** The name flyctl gives the only group of a config without `[processes]`. */
export const appGroup = 'app'

/** Group names, sorted (code-unit order, like Go's sort.Strings); `['app']` when there are none. */
export function processGroups(config: FlyConfig): string[] {
  const names = Object.keys(config.processes ?? {}).sort(byCodeUnit)
  return names.length ? names : [appGroup]
}

/** The group that unfiltered sections attach to: `app` if present, else the first sorted name. */
export function defaultGroup(config: FlyConfig): string {
  const groups = processGroups(config)
  return groups.includes(appGroup) ? appGroup : (groups[0] ?? appGroup)
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
