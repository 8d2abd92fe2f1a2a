import {readFile} from 'node:fs/promises'
import {styleText} from 'node:util'
import {Args} from '@oclif/core'
import {FlotillaError, LocatedError} from '../src/errors.js'
import {BaseCommand} from '../src/ui/base-command.js'
import type {Diagnostic} from '../src/config/index.js'

export interface ValidateResult {
  file: string; valid: boolean; errors: Diagnostic[]; warnings: Diagnostic[]; groups: string[]; defaultGroup: string | null
}

export default class Validate extends BaseCommand {
  static override summary = 'Check a fly.toml the way flyctl does, with file:line:col for every problem.'
  static override description = 'Applies flyctl\'s legacy-format fixes and validation rules, and also reports what flyctl silently ignores (unknown or misspelled keys) and what would only fail at deploy time. Exits 2 when there are errors; warnings alone exit 0.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> apps/api/fly.toml --json']
  static override args = {config: Args.string({default: 'fly.toml', description: 'config to check (a directory means its fly.toml)'})}

  async run(): Promise<ValidateResult> {
    const {args} = await this.parse(Validate)
    const {configFilePath, loadFlyConfig, processGroups, defaultGroup, formatDiagnostic} = await import('../src/config/index.js')
    const file = await configFilePath(args.config)
    const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
      throw new FlotillaError('E_READ', `${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`)
    })
    // Diagnostics come sorted by position from loadFlyConfig; a file that is not TOML has just one.
    let diagnostics: Diagnostic[]
    let groups: string[] = []
    let fallback: string | null = null
    try {
      const loaded = loadFlyConfig(bytes, file)
      diagnostics = loaded.diagnostics
      groups = processGroups(loaded.config)
      fallback = defaultGroup(loaded.config)
    } catch (error) {
      if (!(error instanceof LocatedError)) throw error
      diagnostics = [{severity: 'error', code: error.code, message: error.detail, ...error.location}]
    }
    for (const d of diagnostics) {
      this.logToStderr(formatDiagnostic(d).replace(`: ${d.severity}:`, `: ${styleText(d.severity === 'error' ? 'red' : 'yellow', d.severity)}:`))
    }
    const errors = diagnostics.filter((d) => d.severity === 'error')
    const result: ValidateResult = {file, valid: !errors.length, errors, warnings: diagnostics.filter((d) => d.severity === 'warning'), groups, defaultGroup: fallback}
    const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`
    const summary = groups.length ? `; groups: ${groups.join(', ')} (default ${fallback})` : ''
    this.log(`${file}: ${result.valid ? 'valid' : 'invalid'}, ${count(errors.length, 'error')}, ${count(result.warnings.length, 'warning')}${summary}`)
    if (!result.valid) process.exitCode = 2
    return result
  }
}
