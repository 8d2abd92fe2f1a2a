import {LocatedError} from '../errors.js'

/**
 * A problem found while reading an import source. Same shape as src/config's `Diagnostic`, so the
 * CLI renders both alike. Importers collect every problem as data; `throwFirstError` turns the
 * first error into the located exception a command exits 2 with.
 */
export interface ImportDiagnostic {
  severity: 'error' | 'warning'
  code: string
  message: string
  file: string
  line?: number
  column?: number
}

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
