/**
 * The keys flyctl knows, their types, and their order (flyctl's struct order, which is also
 * how `serialiseFlyConfig` orders sections). One description drives three things: type errors
 * where flyctl's JSON decoding would reject the file, warnings for unknown or misspelled keys
 * (flyctl drops them silently), and the writer's key order.
 */
import {formatDuration, parseDuration} from './duration.js'
import {join as child} from './locate.js'
import {isTable, type Table} from './patches.js'

export type Shape =
  | 'string' | 'int' | 'float' | 'bool' | 'duration' | 'autostop' | 'any'
  | {fields: Record<string, Shape>}
  | {list: Shape}
  | {map: Shape}

const strings = {list: 'string'} as const satisfies Shape
const stringMap = {map: 'string'} as const satisfies Shape

const httpCheck = {
  interval: 'duration', timeout: 'duration', grace_period: 'duration', method: 'string', path: 'string',
  protocol: 'string', tls_skip_verify: 'bool', tls_server_name: 'string', headers: stringMap,
} as const satisfies Record<string, Shape>
const tcpCheck = {interval: 'duration', timeout: 'duration', grace_period: 'duration'} as const satisfies Record<string, Shape>
const machineCheck = {
  fields: {command: strings, image: 'string', entrypoint: strings, kill_signal: 'string', kill_timeout: 'duration'},
} as const satisfies Shape
const concurrency = {fields: {type: 'string', hard_limit: 'int', soft_limit: 'int'}} as const satisfies Shape
const tlsOptions = {fields: {alpn: strings, versions: strings, default_self_signed: 'bool'}} as const satisfies Shape
const httpOptions = {
  fields: {
    compress: 'bool', h2_backend: 'bool', idle_timeout: 'int', headers_read_timeout: 'int',
    response: {fields: {headers: 'any', pristine: 'bool'}}, replay_cache: {list: 'any'},
  },
} as const satisfies Shape
const port = {
  fields: {
    port: 'int', start_port: 'int', end_port: 'int', handlers: strings, force_https: 'bool',
    tls_options: tlsOptions, http_options: httpOptions, proxy_proto_options: {fields: {version: 'string'}},
  },
} as const satisfies Shape
const vm = {
  fields: {
    size: 'string', memory: 'string', cpus: 'int', cpu_kind: 'string', memory_mb: 'int', gpus: 'int',
    gpu_kind: 'string', kernel_args: strings, host_dedication_id: 'string', persist_rootfs: 'string',
    processes: strings,
  },
} as const satisfies Shape

export const flyConfigShape = {
  fields: {
    app: 'string',
    primary_region: 'string',
    kill_signal: 'string',
    kill_timeout: 'duration',
    swap_size_mb: 'int',
    console_command: 'string',
    experimental: {
      fields: {
        cmd: strings, entrypoint: strings, exec: strings, auto_rollback: 'bool', enable_consul: 'bool',
        enable_etcd: 'bool', lazy_load_images: 'bool', attached: {fields: {secrets: {fields: {export: stringMap}}}},
        machine_config: 'string',
      },
    },
    build: {
      fields: {
        builder: 'string', args: stringMap, buildpacks: strings, image: 'string', settings: 'any',
        builtin: 'string', dockerfile: 'string', ignorefile: 'string', 'build-target': 'string',
        compose: {fields: {file: 'string'}}, compression: 'string', compression_level: 'int',
      },
    },
    deploy: {
      fields: {
        strategy: 'string', max_unavailable: 'float', wait_timeout: 'duration', release_command: 'string',
        release_command_timeout: 'duration', release_command_vm: vm, seed_command: 'string',
      },
    },
    env: stringMap,
    processes: stringMap,
    mounts: {
      list: {
        fields: {
          source: 'string', destination: 'string', initial_size: 'string', snapshot_retention: 'int',
          scheduled_snapshots: 'bool', auto_extend_size_threshold: 'int', auto_extend_size_increment: 'string',
          auto_extend_size_limit: 'string', processes: strings,
        },
      },
    },
    http_service: {
      fields: {
        internal_port: 'int', force_https: 'bool', auto_stop_machines: 'autostop', auto_start_machines: 'bool',
        min_machines_running: 'int', processes: strings, concurrency, tls_options: tlsOptions,
        http_options: httpOptions, checks: {list: {fields: httpCheck}}, machine_checks: {list: machineCheck},
      },
    },
    services: {
      list: {
        fields: {
          protocol: 'string', internal_port: 'int', auto_stop_machines: 'autostop', auto_start_machines: 'bool',
          min_machines_running: 'int', ports: {list: port}, concurrency, tcp_checks: {list: {fields: tcpCheck}},
          http_checks: {list: {fields: httpCheck}}, machine_checks: {list: machineCheck}, processes: strings,
        },
      },
    },
    checks: {map: {fields: {port: 'int', type: 'string', ...httpCheck, processes: strings}}},
    files: {
      list: {fields: {guest_path: 'string', local_path: 'string', secret_name: 'string', raw_value: 'string', processes: strings}},
    },
    host_dedication_id: 'string',
    machine_config: 'string',
    container: 'string',
    machine_checks: {list: machineCheck},
    restart: {list: {fields: {policy: 'string', retries: 'int', processes: strings}}},
    vm: {list: vm},
    statics: {list: {fields: {guest_path: 'string', url_prefix: 'string', tigris_bucket: 'string', index_document: 'string'}}},
    metrics: {list: {fields: {port: 'int', path: 'string', https: 'bool', processes: strings}}},
  },
} as const satisfies Shape

/** Apps v1 settings that flyctl still accepts in old files and silently ignores. */
const legacyKeys = new Set(['allowed_public_ports', 'script_checks', 'restart_limit', 'private_network'])

export interface ShapeReport {
  error(keyPath: string, code: string, message: string): void
  warning(keyPath: string, code: string, message: string): void
}

const describe = (value: unknown): string =>
  Array.isArray(value) ? 'an array' : isTable(value) ? 'a table' : value instanceof Date ? 'a date'
  : typeof value === 'number' ? (Number.isInteger(value) ? 'an integer' : 'a float')
  : typeof value === 'boolean' ? 'a boolean' : `a ${typeof value}`

const expected: Record<string, string> = {
  string: 'a string', int: 'an integer', float: 'a number', bool: 'a boolean', duration: 'a duration such as "10s"',
  autostop: '"off", "stop" or "suspend"', any: 'a table',
}


/**
 * Checks `value` against `shape` the way flyctl's JSON decoding would, returning the value to
 * keep (`undefined` drops it). Two lossless normalisations happen here: boolean
 * `auto_stop_machines` becomes "stop"/"off", and a bare-number duration (nanoseconds to Go)
 * becomes a string, with a warning because it is almost never what was meant.
 */
export function conform(value: unknown, shape: Shape, path: string, report: ShapeReport): unknown {
  const mismatch = (what: string): undefined => {
    report.error(path, 'E_TYPE', `expected ${what}, found ${describe(value)}; flyctl rejects the whole file`)
    return undefined
  }
  if (typeof shape === 'string') {
    switch (shape) {
      case 'string': return typeof value === 'string' ? value : mismatch(expected.string!)
      case 'int': return typeof value === 'number' && Number.isInteger(value) ? value : mismatch(expected.int!)
      case 'float': return typeof value === 'number' ? value : mismatch(expected.float!)
      case 'bool': return typeof value === 'boolean' ? value : mismatch(expected.bool!)
      case 'any': return value
      case 'autostop':
        if (typeof value === 'boolean') return value ? 'stop' : 'off'
        return typeof value === 'string' && ['off', 'stop', 'suspend'].includes(value) ? value : mismatch(expected.autostop!)
      case 'duration':
        if (typeof value === 'number') {
          const text = formatDuration(value / 1e6)
          report.warning(path, 'W_DURATION_NANOSECONDS', `a bare number here is read as nanoseconds (${text}); write a duration string such as "10s"`)
          return text
        }
        if (typeof value !== 'string') return mismatch(expected.duration!)
        try {
          parseDuration(value)
          return value
        } catch (error) {
          report.error(path, 'E_DURATION', (error as Error).message)
          return undefined
        }
    }
  }
  if ('list' in shape) {
    if (!Array.isArray(value)) return mismatch('an array')
    return value.map((item, i) => conform(item, shape.list, `${path}[${i}]`, report)).filter((v) => v !== undefined)
  }
  if (!isTable(value)) return mismatch('a table')
  if ('map' in shape) {
    for (const [key, item] of Object.entries(value)) setOrDrop(value, key, conform(item, shape.map, child(path, key), report))
    return value
  }
  const known = Object.keys(shape.fields)
  for (const [key, item] of Object.entries(value)) {
    const fieldShape = shape.fields[key as keyof typeof shape.fields] as Shape | undefined
    if (fieldShape) {
      setOrDrop(value, key, conform(item, fieldShape, child(path, key), report))
      continue
    }
    const sameLetters = known.find((k) => k.toLowerCase() === key.toLowerCase())
    if (sameLetters && !(sameLetters in value)) {
      report.warning(child(path, key), 'W_KEY_CASE', `flyctl reads '${key}' as '${sameLetters}' (keys match case-insensitively); write it as '${sameLetters}'`)
      delete value[key]
      setOrDrop(value, sameLetters, conform(item, shape.fields[sameLetters as keyof typeof shape.fields] as Shape, child(path, sameLetters), report))
      continue
    }
    if (legacyKeys.has(key)) {
      const why = key === 'restart_limit' && !isEmptySetting(item) ? ': on Machines a failing check takes the Machine out of routing but never restarts it' : ''
      report.warning(child(path, key), 'W_LEGACY_KEY', `'${key}' is a Nomad-era (Apps v1) setting that flyctl ignores${why}; remove it`)
      continue
    }
    report.warning(child(path, key), 'W_UNKNOWN_KEY', `unknown key '${key}'${path ? ` in ${path}` : ''}, flyctl ignores it${unknownKeyHint(key, shape, path, known)}`)
  }
  return value
}

/** The values old `fly launch` templates wrote (`restart_limit = 0`, `script_checks = []`): no intent behind them. */
const isEmptySetting = (value: unknown): boolean =>
  value === 0 || value === false || value === '' || (Array.isArray(value) && !value.length) || (isTable(value) && !Object.keys(value).length)

const scheduled = 'fly.toml has no scheduled jobs: use `fly machine run --schedule hourly|daily|weekly|monthly`, or a process group running a scheduler such as supercronic'
/** Settings people expect that Fly does not have, and what to do instead. */
const missingSettings: Record<string, string> = {
  max_machines_running: 'Fly has no maximum: the Machines that exist (fly scale count) are the most that run',
  cron: scheduled,
  jobs: scheduled,
}

/**
 * What to say after "flyctl ignores it": a setting of a subsection written one level too high
 * (`force_https` in `[[services]]` belongs in `[[services.ports]]`), a group filter on a section
 * that has none, a setting Fly does not have, else the likely misspelling.
 */
function unknownKeyHint(key: string, shape: {fields: Record<string, Shape>}, path: string, known: readonly string[]): string {
  if (missingSettings[key]) return `; ${missingSettings[key]}`
  const header = path.replace(/\[\d+\]/g, '')
  for (const [name, sub] of Object.entries(shape.fields)) {
    const inner = typeof sub === 'object' && 'list' in sub ? sub.list : sub
    if (typeof inner === 'object' && 'fields' in inner && key in inner.fields) {
      const section = header ? `${header}.${name}` : name
      return `; it belongs in ${inner === sub ? `[${section}]` : `[[${section}]]`}`
    }
  }
  if (key === 'processes') return '; this section cannot be limited to process groups'
  const guess = closest(key, known)
  return guess ? `; did you mean '${guess}'?` : ''
}

function setOrDrop(table: Table, key: string, value: unknown): void {
  if (value === undefined) delete table[key]
  else table[key] = value
}

/**
 * The known key a misspelling most likely meant: same words in another order or number
 * (`auto_machine_start` -> `auto_start_machines`), else the nearest by Damerau-Levenshtein
 * distance (≤ 2, or ≤ 1 for short keys), else a longer key it is one word of.
 */
export function closest(key: string, known: readonly string[]): string | undefined {
  const words = (k: string): string => k.toLowerCase().split(/[_-]/).map((w) => w.replace(/s$/, '')).sort().join(' ')
  const reordered = known.find((candidate) => words(candidate) === words(key))
  if (reordered) return reordered
  const limit = key.length <= 4 ? 1 : 2
  let best: string | undefined
  let bestDistance = limit + 1
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase().replaceAll('-', '_'), candidate.replaceAll('-', '_'))
    if (d < bestDistance) [best, bestDistance] = [candidate, d]
  }
  // Last resort: a key naming part of a longer one (`[build] target` -> `build-target`).
  return best ?? known.find((candidate) => words(candidate).split(' ').includes(words(key)))
}

function editDistance(a: string, b: string): number {
  const rows = Array.from({length: a.length + 1}, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = d
    }
  }
  return rows[a.length]![b.length]!
}
