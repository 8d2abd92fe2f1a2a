import {stat} from 'node:fs/promises'
import {join} from 'node:path'

/** flyctl's `-c P` as flotilla reads it: P, or P/fly.toml when P is a directory. */
export async function configFilePath(path: string): Promise<string> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ? join(path, 'fly.toml') : path
}
