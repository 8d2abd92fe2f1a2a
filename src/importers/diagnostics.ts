import type {Diagnostic} from '../config/index.js'
import {LocatedError} from '../errors.js'

/**
 * A problem found while reading an import source: src/config's `Diagnostic` without the key paths
 * (an import source has no TOML keys), so the CLI renders both alike. Importers collect every
 * problem as data; `throwFirstError` turns the first error into the located exception a command
 * exits 2 with.
 */
export type ImportDiagnostic = Omit<Diagnostic, 'keyPath' | 'configPath'>

export function throwFirstError(diagnostics: readonly ImportDiagnostic[]): void {
  const first = diagnostics.find((d) => d.severity === 'error')
  if (!first) return
  const {file, line, column} = first
  throw new LocatedError(first.code, first.message, {
    file,
    ...(line === undefined ? {} : {line}),
    ...(column === undefined ? {} : {column}),
  })
}
