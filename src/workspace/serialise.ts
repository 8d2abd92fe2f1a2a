import {stringify} from 'smol-toml'
import type {Workspace, WorkspaceApp} from './types.js'

/**
 * Writes a `flotilla.toml`. Keys are emitted in a fixed order (source, then per app name, config,
 * group, release, local) whatever order the input objects have, so the same workspace always
 * gives the same bytes. `header` becomes the leading comment (one `# ` line per line).
 */
export function serialiseWorkspace(ws: Omit<Workspace, 'file' | 'dir'>, header: string): string {
  const document = {
    ...(ws.source === undefined ? {} : {source: ws.source}),
    app: ws.apps.map(ordered),
  }
  const comment = header.split('\n').map((line) => (line.startsWith('#') ? line : `# ${line}`.trimEnd())).join('\n')
  return `${comment}\n\n${stringify(document).trim()}\n`
}

function ordered(app: WorkspaceApp): Record<string, unknown> {
  const local = app.local && {
    ...(app.local.command === undefined ? {} : {command: app.local.command}),
    ...(app.local.cwd === undefined ? {} : {cwd: app.local.cwd}),
    ...(app.local.count === undefined ? {} : {count: app.local.count}),
    ...(app.local.env_file === undefined ? {} : {env_file: app.local.env_file}),
  }
  return {name: app.name, config: app.config, group: app.group, ...(app.release ? {release: true} : {}), ...(local ? {local} : {})}
}
