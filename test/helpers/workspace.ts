/** A throwaway directory holding the files of a workspace (fly.toml, Procfile, app code…). */
import {mkdir, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {tempDir} from './repo.js'

/** Creates a temp directory (removed when the test ends) with `files` (relative path → text) in it. */
export async function workspaceDir(t: {after(fn: () => unknown): void}, files: Record<string, string>, prefix = 'flotilla-ws-'): Promise<string> {
  const dir = await tempDir(t, prefix)
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), {recursive: true})
    await writeFile(join(dir, path), text)
  }
  return dir
}

/**
 * A fly.toml for app "sick": one group `web` running `command` (a server on `port` that answers
 * 404) and an http check `ready` on that port that therefore never passes.
 */
export function neverHealthyFlyToml(command: string, port: number): string {
  return `app = "sick"
[processes]
web = ${JSON.stringify(command)}
[checks.ready]
type = "http"
port = ${port}
path = "/ready"
interval = "2s"
timeout = "1s"
`
}
