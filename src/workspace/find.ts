import {stat} from 'node:fs/promises'
import {join, resolve} from 'node:path'

export type FoundWorkspace = {kind: 'workspace' | 'fly' | 'procfile'; path: string}

/** What `up`, `ps` and `ci` run, in order of preference (architecture.md). */
const CANDIDATES = [
  {kind: 'workspace', name: 'flotilla.toml'},
  {kind: 'fly', name: 'fly.toml'},
  {kind: 'procfile', name: 'Procfile'},
] as const

/** The first of flotilla.toml, fly.toml, Procfile that is a file in `dir` (absolute path). */
export async function findWorkspace(dir: string): Promise<FoundWorkspace | undefined> {
  for (const candidate of CANDIDATES) {
    const path = resolve(join(dir, candidate.name))
    const info = await stat(path).catch(() => undefined)
    if (info?.isFile()) return {kind: candidate.kind, path}
  }
  return undefined
}
