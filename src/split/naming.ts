import {FlotillaError, LocatedError} from '../errors.js'
import {APP_NAME_MAX, appNameProblem} from '../config/index.js'

/**
 * `fly launch`'s sanitising (fly-platform.md 1.11): lowercase, `[a-z0-9-]`, runs of anything else
 * collapsed to one dash, no dash at either end, cut to 63 characters.
 */
export function sanitiseAppName(raw: string): string {
  const dashed = raw.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  return dashed.slice(0, APP_NAME_MAX).replace(/-+$/, '')
}

/** The name a group that does not keep the original app gets unless chosen: `<app>-<group>`. */
export function derivedAppName(app: string, group: string): string {
  return sanitiseAppName(`${app}-${group}`)
}

/**
 * App name per group: the public group keeps `app`, the others become `<app>-<group>`, and
 * `--name GROUP=APP` wins. Every name is checked and two groups may not end up with one name.
 */
export function assignAppNames(opts: {
  app: string | undefined
  groups: string[]
  publicGroup: string
  names: Record<string, string>
  /** The source config, where derived names are located (flag values are not). */
  file: string
}): Map<string, string> {
  const {app, groups, publicGroup, names, file} = opts
  const assigned = new Map<string, string>()
  for (const group of groups) {
    const chosen = names[group]
    let name: string
    if (chosen !== undefined) name = chosen
    else if (app === undefined) {
      throw new LocatedError('E_NO_APP_NAME', `the config sets no app name; add app = "…" or pass --name GROUP=APP for every group`, {file, keyPath: 'app'})
    } else name = group === publicGroup ? app : derivedAppName(app, group)
    const problem = appNameProblem(name)
    if (problem && chosen !== undefined) throw new FlotillaError('E_APP_NAME', `--name ${group}=${chosen}: ${problem}`)
    if (problem) throw new LocatedError('E_APP_NAME', `${problem} (the name for group "${group}"; choose one with --name ${group}=APP)`, {file, keyPath: 'app'})
    const clash = [...assigned].find(([, other]) => other === name)
    if (clash) {
      throw new FlotillaError('E_DUPLICATE_APP', `groups "${clash[0]}" and "${group}" would both become app "${name}"; pass --name ${group}=APP to tell them apart`)
    }
    assigned.set(group, name)
  }
  return assigned
}
