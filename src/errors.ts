/**
 * Error classes shared by every module. `src/` throws these; only the base command turns them
 * into text and exit codes (see docs/cli.md for the exit-code contract).
 */

/** Exit codes of the CLI contract (architecture.md). */
export const ExitCode = {
  ok: 0,
  /** `--check` found drift, or a checked condition failed. */
  failed: 1,
  /** Usage or input error: bad file, bad flag. */
  input: 2,
  /** Runtime failure: a process or port problem. */
  runtime: 3,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export interface FlotillaErrorJson {
  code: string
  message: string
  file?: string
  line?: number
  column?: number
  keyPath?: string
}

export class FlotillaError extends Error {
  override name = 'FlotillaError'
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode = ExitCode.input,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }

  toJSON(): FlotillaErrorJson {
    return {code: this.code, message: this.message}
  }
}

export interface Location {
  file: string
  /** 1-based; absent when only the file (or a key path) is known. */
  line?: number
  /** 1-based. */
  column?: number
  /** Dotted TOML key path, e.g. `services[0].internal_port`. */
  keyPath?: string
}

/** Renders `file:line:col` (or `file` / `file: key.path`) the way editors jump to it. */
export function formatLocation(loc: Location): string {
  let out = loc.file
  if (loc.line !== undefined) out += `:${loc.line}` + (loc.column === undefined ? '' : `:${loc.column}`)
  return out
}

/** An error that points at a place in a file: `fly.toml:12:5: message`. */
export class LocatedError extends FlotillaError {
  override name = 'LocatedError'
  constructor(
    code: string,
    readonly detail: string,
    readonly location: Location,
    exitCode: ExitCode = ExitCode.input,
    options?: ErrorOptions,
  ) {
    super(code, `${formatLocation(location)}: ${location.keyPath && location.line === undefined ? `${location.keyPath}: ` : ''}${detail}`, exitCode, options)
  }

  override toJSON(): FlotillaErrorJson {
    const {file, line, column, keyPath} = this.location
    return {
      code: this.code,
      message: this.message,
      file,
      ...(line === undefined ? {} : {line}),
      ...(column === undefined ? {} : {column}),
      ...(keyPath === undefined ? {} : {keyPath}),
    }
  }
}
