/**
 * The system tools isolated mode runs, located once. `ip` lives in /usr/sbin, which many
 * distributions leave off an ordinary user's PATH although any user may run it.
 */
import {constants} from 'node:fs'
import {access} from 'node:fs/promises'
import {delimiter, join} from 'node:path'

export interface Tool {
  name: string
  /** Where it comes from, for the "how to get it" hint. */
  packageName: string
  /** What is lost without it, for a tool isolated mode can do without. */
  optional?: string
}

export const TOOLS = {
  hostname: {name: 'hostname', packageName: 'hostname', optional: "instances keep the host's hostname instead of their Machine ID"},
  ip: {name: 'ip', packageName: 'iproute2'},
  mount: {name: 'mount', packageName: 'util-linux (mount)'},
  nsenter: {name: 'nsenter', packageName: 'util-linux'},
  setpriv: {name: 'setpriv', packageName: 'util-linux'},
  unshare: {name: 'unshare', packageName: 'util-linux'},
} as const satisfies Record<string, Tool>

export type ToolPaths = Record<keyof typeof TOOLS, string>

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']

export async function findTool(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS]
  for (const dir of dirs) {
    const path = join(dir, name)
    if (await access(path, constants.X_OK).then(() => true, () => false)) return path
  }
  return undefined
}

/** Every tool's path ('' when not found), and the required ones missing. */
export async function findTools(): Promise<{paths: ToolPaths; missing: Tool[]}> {
  const entries = await Promise.all(Object.entries(TOOLS).map(async ([key, tool]) => [key, tool, await findTool(tool.name)] as const))
  const paths = Object.fromEntries(entries.map(([key, , path]) => [key, path ?? ''])) as ToolPaths
  return {paths, missing: entries.filter(([, tool, path]) => !path && !('optional' in tool)).map(([, tool]) => tool)}
}
