import {readFile} from 'node:fs/promises'
import {posix} from 'node:path'
import type {FlyConfig} from '../config/index.js'
import {parseWorkspace, type Workspace, type WorkspaceLocal} from '../workspace/index.js'
import {derivedAppName} from './naming.js'
import type {RecordedChoices} from './types.js'

/** The flotilla.toml an earlier split wrote; undefined when missing or unreadable (then --force replaces it). */
export async function readPreviousWorkspace(path: string): Promise<Workspace | undefined> {
  const text = await readFile(path).catch(() => undefined)
  if (!text) return undefined
  try {
    return parseWorkspace(text, path)
  } catch {
    return undefined
  }
}

/** `[app.local]` tables by app name, so re-running split keeps them. */
export function localTables(previous: Workspace | undefined): Record<string, WorkspaceLocal> {
  return Object.fromEntries((previous?.apps ?? []).flatMap((app) => (app.local ? [[app.name, app.local]] : [])))
}

/**
 * What the earlier split of the same source was told with flags, read back from its
 * flotilla.toml, so a re-run without them (CI's `split --check`) writes the same files. Only
 * groups the config still has count: the app named like the config's `app` marks the public
 * group, a name that is neither that nor `<app>-<group>` came from --name, and `release = true`
 * on another app than the public one came from --release-in.
 */
export function recordedChoices(previous: Workspace | undefined, source: string, config: FlyConfig, groups: string[]): RecordedChoices {
  const choices: RecordedChoices = {names: {}}
  if (previous?.source === undefined || posix.normalize(previous.source) !== posix.normalize(source)) return choices
  const apps = previous.apps.filter((app) => groups.includes(app.group))
  const publicApp = apps.find((app) => app.name === config.app)
  if (publicApp) choices.public = publicApp.group
  for (const app of apps) {
    if (app !== publicApp && (config.app === undefined || app.name !== derivedAppName(config.app, app.group))) choices.names[app.group] = app.name
  }
  const release = apps.find((app) => app.release)
  if (release && release !== publicApp) choices.releaseIn = release.group
  return choices
}
