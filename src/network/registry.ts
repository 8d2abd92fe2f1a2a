/**
 * The registry: apps → instances, as the `.internal` DNS sees them. Every mutation builds a new
 * frozen snapshot and swaps it in one assignment, so a reader (the DNS server answers from
 * `registry.snapshot`) sees either the whole change or none of it.
 */
import {createHash} from 'node:crypto'
import {EventEmitter} from 'node:events'
import {watch} from 'node:fs'
import {readFile, stat} from 'node:fs/promises'
import {basename, dirname} from 'node:path'
import {isIPv6} from 'node:net'
import {appNameProblem} from '../config/names.js'
import {FlotillaError, LocatedError} from '../errors.js'

export interface Instance {
  /** The machine id (Fly: 14 hex digits); one DNS label. */
  id: string
  app: string
  group: string
  region: string
  /** The address AAAA answers carry (IPv6, or ::ffff:127.0.0.x in loopback mode). */
  ip: string
  state: 'started' | 'stopped'
  metadata?: Record<string, string>
}

/** The registry file of architecture.md (`dns serve --registry`, `.flotilla/registry.json`). */
export interface RegistryFile {
  apps: {name: string; instances: Omit<Instance, 'app'>[]}[]
}

/** One consistent view of the registry: instances sorted by app, then id. */
export interface Snapshot {
  readonly version: number
  readonly instances: readonly Readonly<Instance>[]
}

/** A registry file larger than this is refused before parsing (10 000 instances take ~2 MB). */
export const MAX_REGISTRY_FILE_BYTES = 16 * 1024 * 1024

// App names follow Fly's rule (appNameProblem); the other fields only need to be one DNS label each.
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/

/** A field that fails validation; turned into a located or plain FlotillaError by the caller. */
class InvalidField extends Error {
  constructor(readonly keyPath: string, message: string) {
    super(message)
  }
}

// Paths and messages are built only on failure: a 10 000-instance file must not make 100 000
// strings that nobody reads (they cost the long-running server its memory, not just time).
function check(condition: boolean, keyPath: string | (() => string), message: string | (() => string)): asserts condition {
  if (!condition) throw new InvalidField(typeof keyPath === 'string' ? keyPath : keyPath(), typeof message === 'string' ? message : message())
}

function checkLabel(v: Record<string, unknown>, key: string, pattern: RegExp, what: string, keyPath: () => string): string {
  const field = v[key]
  check(typeof field === 'string' && pattern.test(field), () => `${keyPath()}.${key}`, () => `must be ${what}, got ${JSON.stringify(field)}`)
  return field
}

function checkInstance(value: unknown, app: string, keyPath: () => string): Instance {
  check(typeof value === 'object' && value !== null && !Array.isArray(value), keyPath, 'must be an object')
  const v = value as Record<string, unknown>
  const instance: Instance = {
    id: checkLabel(v, 'id', LABEL, 'a machine id (lower-case letters, digits, - or _, at most 63)', keyPath),
    app,
    group: checkLabel(v, 'group', LABEL, 'a process group name (lower-case letters, digits, - or _, at most 63)', keyPath),
    region: checkLabel(v, 'region', LABEL, 'a region code such as "ams"', keyPath),
    ip: checkLabel(v, 'ip', /./, 'an IPv6 address', keyPath),
    state: 'started',
  }
  check(isIPv6(instance.ip), () => `${keyPath()}.ip`, () => `must be an IPv6 address (::ffff:127.0.0.x in loopback mode), got ${JSON.stringify(instance.ip)}`)
  check(v.state === 'started' || v.state === 'stopped', () => `${keyPath()}.state`, () => `must be "started" or "stopped", got ${JSON.stringify(v.state)}`)
  instance.state = v.state
  if (v.metadata !== undefined) {
    check(typeof v.metadata === 'object' && v.metadata !== null && !Array.isArray(v.metadata), () => `${keyPath()}.metadata`, 'must be an object of strings')
    const metadata: Record<string, string> = {}
    for (const [key, field] of Object.entries(v.metadata)) {
      check(typeof field === 'string', () => `${keyPath()}.metadata.${key}`, 'must be a string')
      metadata[key] = field
    }
    instance.metadata = metadata
  }
  return instance
}

function checkApp(name: unknown, keyPath: string): string {
  check(typeof name === 'string' && appNameProblem(name) === undefined, keyPath, () => `must be a Fly app name (lower-case letters, digits and -, at most 63), got ${JSON.stringify(name)}`)
  return name
}

function byAppThenId(a: Instance, b: Instance): number {
  return a.app < b.app ? -1 : a.app > b.app ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

function freeze(instances: Instance[], version: number): Snapshot {
  instances.sort(byAppThenId)
  for (const instance of instances) {
    if (instance.metadata) Object.freeze(instance.metadata)
    Object.freeze(instance)
  }
  return Object.freeze({version, instances: Object.freeze(instances)})
}

/** Emits `change` (with the new Snapshot) after every mutation. */
export class Registry extends EventEmitter {
  #snapshot: Snapshot

  constructor(instances: Iterable<Instance> = []) {
    super()
    this.#snapshot = freeze(validated(instances), 0)
  }

  get snapshot(): Snapshot {
    return this.#snapshot
  }

  /** Adds or replaces the instance with this app and id. */
  upsert(instance: Instance): void {
    const next = checked(instance)
    this.#swap([...this.#snapshot.instances.filter((i) => i.app !== next.app || i.id !== next.id), next])
  }

  remove(app: string, id: string): void {
    const rest = this.#snapshot.instances.filter((i) => i.app !== app || i.id !== id)
    if (rest.length !== this.#snapshot.instances.length) this.#swap(rest)
  }

  setState(app: string, id: string, state: Instance['state']): void {
    const current = this.#snapshot.instances.find((i) => i.app === app && i.id === id)
    if (!current) throw new FlotillaError('E_REGISTRY_UNKNOWN', `no instance ${id} in app ${app}`)
    if (current.state !== state) this.upsert({...current, state})
  }

  /** Replaces every instance at once (one snapshot, one `change`). */
  replace(instances: Iterable<Instance>): void {
    this.#swap(validated(instances))
  }

  instances(): readonly Instance[] {
    return this.#snapshot.instances
  }

  /** Apps with at least one instance, sorted. */
  apps(): string[] {
    return [...new Set(this.#snapshot.instances.map((i) => i.app))]
  }

  toJSON(): RegistryFile {
    const apps = new Map<string, Omit<Instance, 'app'>[]>()
    for (const {app, ...rest} of this.#snapshot.instances) {
      const list = apps.get(app) ?? []
      list.push({...rest, metadata: {...rest.metadata}})
      apps.set(app, list)
    }
    return {apps: [...apps].map(([name, instances]) => ({name, instances}))}
  }

  /** Validates a parsed registry file; errors name the file and the key path. */
  static fromJSON(data: unknown, file: string): Registry {
    try {
      check(typeof data === 'object' && data !== null && !Array.isArray(data), '(root)', 'must be an object with an "apps" array')
      const apps = (data as {apps?: unknown}).apps
      check(Array.isArray(apps), 'apps', 'must be an array')
      const instances: Instance[] = []
      const seen = new Map<string, Set<string>>() // app → ids: no key string per instance
      for (const [a, app] of apps.entries()) {
        check(typeof app === 'object' && app !== null && !Array.isArray(app), `apps[${a}]`, 'must be an object with "name" and "instances"')
        const {name, instances: list} = app as {name?: unknown; instances?: unknown}
        const appName = checkApp(name, `apps[${a}].name`)
        check(Array.isArray(list), `apps[${a}].instances`, 'must be an array')
        let ids = seen.get(appName)
        if (!ids) seen.set(appName, (ids = new Set()))
        for (const [i, value] of list.entries()) {
          const instance = checkInstance(value, appName, () => `apps[${a}].instances[${i}]`)
          check(!ids.has(instance.id), () => `apps[${a}].instances[${i}].id`, () => `duplicate instance id ${instance.id} in app ${appName}`)
          ids.add(instance.id)
          instances.push(instance)
        }
      }
      const registry = new Registry()
      registry.#snapshot = freeze(instances, 0) // already checked: no second copy of every instance
      return registry
    } catch (error) {
      if (!(error instanceof InvalidField)) throw error
      throw new LocatedError('E_REGISTRY_INVALID', error.message, {file, keyPath: error.keyPath})
    }
  }

  /** Reads and validates a registry file (size-capped; JSON errors carry line:col). */
  static async readFile(file: string): Promise<Registry> {
    let text: string
    try {
      const {size} = await stat(file)
      if (size > MAX_REGISTRY_FILE_BYTES) {
        throw new LocatedError('E_REGISTRY_TOO_LARGE', `registry file is ${size} bytes, more than the ${MAX_REGISTRY_FILE_BYTES} allowed`, {file})
      }
      text = new TextDecoder('utf-8', {fatal: true}).decode(await readFile(file))
    } catch (error) {
      if (error instanceof FlotillaError) throw error
      const detail = error instanceof TypeError ? 'registry file is not UTF-8 text' : `cannot read registry file: ${(error as Error).message}`
      throw new LocatedError('E_REGISTRY_READ', detail, {file}, undefined, {cause: error})
    }
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (error) {
      throw new LocatedError('E_REGISTRY_SYNTAX', `not JSON: ${(error as Error).message}`, {file, ...jsonErrorPosition(text, error as Error)}, undefined, {cause: error})
    }
    return Registry.fromJSON(data, file)
  }

  #swap(instances: Instance[]): void {
    this.#snapshot = freeze(instances, this.#snapshot.version + 1)
    this.emit('change', this.#snapshot)
  }
}

function validated(instances: Iterable<Instance>): Instance[] {
  const seen = new Set<string>()
  const list: Instance[] = []
  for (const instance of instances) {
    const valid = checked(instance)
    const key = `${valid.app}/${valid.id}`
    if (seen.has(key)) throw new FlotillaError('E_REGISTRY_DUPLICATE', `instance ${valid.id} of app ${valid.app} is listed twice`)
    seen.add(key)
    list.push(valid)
  }
  return list
}

function checked(instance: Instance): Instance {
  try {
    return checkInstance(instance, checkApp(instance.app, 'app'), () => 'instance')
  } catch (error) {
    if (!(error instanceof InvalidField)) throw error
    throw new FlotillaError('E_REGISTRY_INVALID', `${error.keyPath}: ${error.message}`)
  }
}

/** V8 reports "… at position N" (Node 20); turn it into 1-based line and column. */
function jsonErrorPosition(text: string, error: Error): {line?: number; column?: number} {
  const match = /at position (\d+)/.exec(error.message)
  if (!match) return text.trim() === '' ? {line: 1, column: 1} : {}
  const before = text.slice(0, Number(match[1]))
  const lines = before.split('\n')
  return {line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1}
}

/** A stable 14-hex machine id derived from `seed` (e.g. the app name, for `dns serve` on flotilla.toml). */
export function stableMachineId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 14)
}

/**
 * One started instance per app, for serving a workspace without running it (`dns serve` on
 * flotilla.toml): id stableMachineId(name), region "lcl", address ::ffff:127.0.0.(2 + index).
 */
export function placeholderInstances(apps: {name: string; group: string}[]): Instance[] {
  return apps.map(({name, group}, index) => ({id: stableMachineId(name), app: name, group, region: 'lcl', ip: `::ffff:127.0.0.${2 + index}`, state: 'started'}))
}

/**
 * Reloads `registry` from `file` whenever the file changes (written atomically by rename, as
 * `up` writes .flotilla/registry.json). A file that fails validation keeps the last good registry
 * and goes to `onError`. Returns the function that stops watching.
 */
export function followRegistryFile(file: string, registry: Registry, onError: (error: Error) => void): () => void {
  let reloading = Promise.resolve()
  // Watch the directory: a rename replaces the file's inode, which a watch on the file would lose.
  const watcher = watch(dirname(file), (_event, name) => {
    if (name !== null && name !== basename(file)) return
    reloading = reloading.then(async () => {
      try {
        registry.replace((await Registry.readFile(file)).instances())
      } catch (error) {
        if ((error as {cause?: NodeJS.ErrnoException}).cause?.code !== 'ENOENT') onError(error as Error)
      }
    })
  })
  watcher.on('error', onError) // e.g. the directory was removed: keep serving the last registry
  return () => watcher.close()
}
