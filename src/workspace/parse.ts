import {dirname, resolve} from 'node:path'
import {closest, locateKeyPath, parseToml} from '../config/index.js'
import {LocatedError} from '../errors.js'
import {appNameProblem} from '../config/index.js'
import type {Workspace, WorkspaceApp, WorkspaceLocal} from './types.js'

const ROOT_KEYS = ['source', 'app'] as const
const APP_KEYS = ['name', 'config', 'group', 'release', 'local'] as const
const LOCAL_KEYS = ['command', 'cwd', 'count', 'env_file'] as const

/**
 * Parses and validates a `flotilla.toml`. Every problem is a LocatedError pointing at the key
 * (`flotilla.toml:7:1: …`), so a hand-edited workspace fails with a message an editor can jump to.
 */
export function parseWorkspace(text: string | Uint8Array, file: string): Workspace {
  const data = parseToml(text, file)
  const source = typeof text === 'string' ? text : new TextDecoder().decode(text)
  const fail = (code: string, message: string, keyPath: string): never => {
    throw new LocatedError(code, message, {file, ...locateKeyPath(source, keyPath), keyPath})
  }

  checkKeys(data, ROOT_KEYS, '', fail)
  if (data.source !== undefined && typeof data.source !== 'string') fail('E_WORKSPACE_TYPE', 'source must be a string', 'source')
  const entries = data.app
  if (entries === undefined || (Array.isArray(entries) && entries.length === 0)) {
    fail('E_WORKSPACE_EMPTY', 'the workspace lists no apps; add an [[app]] table per app', 'app')
  }
  if (!Array.isArray(entries) || !entries.every(isTable)) {
    fail('E_WORKSPACE_TYPE', 'app must be an array of tables: write [[app]], not [app]', 'app')
  }

  const apps = (entries as Record<string, unknown>[]).map((entry, index): WorkspaceApp => {
    const path = `app[${index}]`
    checkKeys(entry, APP_KEYS, `${path}.`, fail)
    const requiredString = (key: 'name' | 'config' | 'group'): string => {
      const value = entry[key]
      if (value === undefined) fail('E_WORKSPACE_MISSING', `[[app]] number ${index + 1} has no ${key}`, `${path}.${key}`)
      if (typeof value !== 'string' || value === '') fail('E_WORKSPACE_TYPE', `${key} must be a non-empty string`, `${path}.${key}`)
      return value as string
    }
    const name = requiredString('name')
    const nameProblem = appNameProblem(name)
    if (nameProblem) fail('E_APP_NAME', nameProblem, `${path}.name`)
    const app: WorkspaceApp = {name, config: requiredString('config'), group: requiredString('group')}
    if (entry.release !== undefined && typeof entry.release !== 'boolean') fail('E_WORKSPACE_TYPE', 'release must be true or false', `${path}.release`)
    if (entry.release === true) app.release = true
    if (entry.local !== undefined) app.local = parseLocal(entry.local, `${path}.local`, fail)
    return app
  })

  const seen = new Map<string, number>()
  apps.forEach((app, index) => {
    const first = seen.get(app.name)
    if (first !== undefined) fail('E_DUPLICATE_APP', `app name "${app.name}" is used twice (also by [[app]] number ${first + 1})`, `app[${index}].name`)
    seen.set(app.name, index)
  })

  const absolute = resolve(file)
  return {file: absolute, dir: dirname(absolute), ...(data.source === undefined ? {} : {source: data.source as string}), apps}
}

function parseLocal(
  value: unknown,
  path: string,
  fail: (code: string, message: string, keyPath: string) => never,
): WorkspaceLocal {
  if (!isTable(value)) return fail('E_WORKSPACE_TYPE', 'local must be a table ([app.local])', path)
  checkKeys(value, LOCAL_KEYS, `${path}.`, fail)
  const local: WorkspaceLocal = {}
  for (const key of ['command', 'cwd', 'env_file'] as const) {
    const v = value[key]
    if (v === undefined) continue
    if (typeof v !== 'string') fail('E_WORKSPACE_TYPE', `${key} must be a string`, `${path}.${key}`)
    local[key] = v as string
  }
  if (value.count !== undefined) {
    const count = value.count
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      fail('E_WORKSPACE_COUNT', `count must be a whole number of instances (0 or more), not ${JSON.stringify(count)}`, `${path}.count`)
    }
    local.count = count as number
  }
  return local
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

function checkKeys(table: Record<string, unknown>, known: readonly string[], prefix: string, fail: (code: string, message: string, keyPath: string) => never): void {
  for (const key of Object.keys(table)) {
    if (known.includes(key)) continue
    const guess = closest(key, known)
    fail('E_WORKSPACE_KEY', `unknown key "${prefix}${key}"${guess ? `; did you mean "${guess}"?` : ''} (known: ${known.join(', ')})`, `${prefix}${key}`)
  }
}
