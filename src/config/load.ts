/**
 * The fly.toml pipeline flyctl runs (fly-platform.md §1.1): TOML -> legacy patches -> typed
 * config, then validation. Unlike flyctl, a type error does not collapse the whole file: the bad
 * value is dropped and reported, so every other problem is reported in the same run.
 */
import {KeyLocator, parentPath} from './locate.js'
import {decodeText, parseToml} from './parse.js'
import {applyLegacyPatches, isTable, type Table} from './patches.js'
import {conform, flyConfigShape} from './schema.js'
import type {Diagnostic, FlyConfig} from './types.js'
import {type Finding, validateFlyConfig} from './validate.js'

/** Parse + normalise + validate. Throws LocatedError for text that is not TOML; returns every other problem as data. */
export function loadFlyConfig(text: string | Uint8Array, file: string): {config: FlyConfig; diagnostics: Diagnostic[]} {
  const source = decodeText(text, file)
  const raw = toPlain(parseToml(source, file)) as Table
  const findings: Finding[] = []
  const moved = new Map<string, string>()
  const patched = applyLegacyPatches(raw, {
    fail: (keyPath, message) => void findings.push({severity: 'error', code: 'E_TYPE', message, keyPath}),
    moved: (to, from) => void moved.set(to, from),
  })
  const config = conform(patched, flyConfigShape, '', {
    error: (keyPath, code, message) => void findings.push({severity: 'error', code, message, keyPath}),
    warning: (keyPath, code, message) => void findings.push({severity: 'warning', code, message, keyPath}),
  }) as FlyConfig
  findings.push(...validateFlyConfig(config))
  const locator = findings.length ? new KeyLocator(source) : undefined // most files have nothing to locate
  const diagnostics = findings.map((finding) => locate(finding, file, locator!, sourcePath(finding.keyPath, moved)))
  return {config, diagnostics: diagnostics.sort(byPosition)}
}

/** Maps a normalised key path back to what the file says (`vm[0].memory` <- `compute.memory`). */
function sourcePath(path: string, moved: ReadonlyMap<string, string>): string {
  for (let prefix = path; prefix !== ''; prefix = parentPath(prefix)) {
    const from = moved.get(prefix)
    if (from !== undefined) return from + path.slice(prefix.length)
  }
  return path
}

/** Findings about a key itself (its spelling, its name); every other finding is about the value written for it. */
const aboutTheKey = new Set(['W_UNKNOWN_KEY', 'W_KEY_CASE', 'W_LEGACY_KEY', 'W_GROUP_NAME', 'W_RESERVED_ENV'])

function locate(finding: Finding, file: string, locator: KeyLocator, keyPath: string): Diagnostic {
  const position = !keyPath ? undefined : aboutTheKey.has(finding.code) ? locator.locate(keyPath) : locator.locateValue(keyPath)
  return {
    severity: finding.severity,
    code: finding.code,
    message: finding.message,
    file,
    ...(position ?? {}),
    ...(keyPath ? {keyPath} : {}),
    ...(keyPath === finding.keyPath ? {} : {configPath: finding.keyPath}),
  }
}

const byPosition = (a: Diagnostic, b: Diagnostic): number =>
  (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0)

/** smol-toml's tables have null prototypes; consumers get ordinary objects (dates stay TomlDate). */
function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain)
  if (!isTable(value)) return value
  const plain: Table = {}
  for (const key of Object.keys(value)) plain[key] = toPlain(value[key])
  return plain
}
