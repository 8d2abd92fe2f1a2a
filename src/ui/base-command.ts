import {Command} from '@oclif/core'
import {FlotillaError} from '../errors.js'

/**
 * Every flotilla command extends this. It replaces two oclif defaults (style.md §6): with `--json`
 * an error would exit 1 whatever its code, and a usage error would dump the whole parse context.
 * Errors print as `flotilla: FILE:LINE:COL: message` on stderr (architecture.md contract).
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  protected override async catch(err: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    const exit = err instanceof FlotillaError ? err.exitCode : (err.oclif?.exit ?? 1)
    // oclif's own exits (this.exit(), --help, --version) pass straight through.
    if (err.oclif?.exit !== undefined && err.message.startsWith('EEXIT')) throw err
    process.exitCode = exit
    if (this.jsonEnabled()) return super.catch(err)
    process.stderr.write(`${this.config.bin}: ${err.message}\n`)
    if (!(err instanceof FlotillaError) && exit !== 2 && process.env.DEBUG) process.stderr.write(`${err.stack}\n`)
    return undefined
  }

  /**
   * Warnings read `warning: message` on stderr, like split's and validate's diagnostics, instead
   * of oclif's ` ›   Warning:` wrapped at 80 columns; they stay off stdout so `--json` is clean.
   */
  override warn(input: string | Error): string | Error {
    process.stderr.write(`warning: ${input instanceof Error ? input.message : input}\n`)
    return input
  }

  protected override toErrorJson(err: unknown): unknown {
    if (err instanceof FlotillaError) return {error: err.toJSON()}
    const e = err as Error & {oclif?: {exit?: number}}
    return {error: {code: e.oclif?.exit === 2 ? 'E_USAGE' : 'E_INTERNAL', message: e.message}}
  }
}
