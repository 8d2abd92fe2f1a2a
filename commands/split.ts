import {Args, Errors, Flags} from '@oclif/core'
import {BaseCommand} from '../src/ui/base-command.js'
import type {SplitReport} from '../src/split/index.js'

/** `GROUP=APP`; a bad value is a usage error (exit 2), style.md §5. */
const groupToApp = Flags.custom<{group: string; app: string}>({
  helpValue: 'GROUP=APP',
  async parse(input) {
    const match = /^([^=]+)=(.+)$/.exec(input)
    if (!match) throw new Errors.CLIError(`--name expects GROUP=APP, got "${input}"`, {exit: 2})
    return {group: match[1]!, app: match[2]!}
  },
})

export default class Split extends BaseCommand {
  static override summary = 'Split a multi-process fly.toml into one app per process group.'
  static override description = 'Writes fly.<group>.toml per group plus flotilla.toml, and reports what moved, what changed, and the fly commands to run next. Nothing is written unless every file can be.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> --dry-run',
    '<%= config.bin %> <%= command.id %> fly.toml --name worker=shop-jobs --release-in web',
    '<%= config.bin %> <%= command.id %> --check',
  ]
  static override args = {config: Args.string({default: 'fly.toml', description: 'multi-group config (a directory means its fly.toml)'})}
  static override flags = {
    out: Flags.string({helpValue: 'DIR', description: 'write the files here (default: next to CONFIG); relative paths are rewritten'}),
    'dry-run': Flags.boolean({default: false, exclusive: ['check'], description: 'print the plan and a diff, write nothing'}),
    check: Flags.boolean({default: false, description: 'exit 1 and show the diff when the files on disk differ (for CI)'}),
    force: Flags.boolean({default: false, description: 'overwrite files that differ'}),
    name: groupToApp({multiple: true, multipleNonGreedy: true, description: 'name the app for a group (repeatable; default: as flotilla.toml records it)'}),
    public: Flags.string({helpValue: 'GROUP', description: 'group that keeps the original app name (default: as flotilla.toml records it, else the one with public ports)'}),
    'release-in': Flags.string({helpValue: 'GROUP', description: 'group whose app runs release_command (default: as flotilla.toml records it, else the public one)'}),
    allow: Flags.option({options: ['shared-volume'] as const, multiple: true, multipleNonGreedy: true, description: 'permit a volume mounted by several groups (each app gets its own)'})(),
  }

  async run(): Promise<SplitReport> {
    const {args, flags} = await this.parse(Split)
    const {splitConfig, renderSplitReport, renderWarnings} = await import('../src/split/index.js')
    const mode = flags.check ? 'check' : flags['dry-run'] ? 'dry-run' : 'write'
    const outcome = await splitConfig({config: args.config, mode, force: flags.force, names: Object.fromEntries((flags.name ?? []).map((n) => [n.group, n.app])),
      ...(flags.out === undefined ? {} : {out: flags.out}), ...(flags.public === undefined ? {} : {public: flags.public}),
      ...(flags['release-in'] === undefined ? {} : {releaseIn: flags['release-in']}), ...(flags.allow ? {allow: flags.allow} : {})})
    if (mode === 'check') {
      if (outcome.drift) this.log(outcome.diff)
      this.logToStderr(outcome.drift ? `${this.config.bin}: ${outcome.changed.join(', ')} ${outcome.changed.length === 1 ? 'differs' : 'differ'} from what split writes; run \`${this.config.bin} split ${outcome.source} --force\` to update them (flotilla.toml supplies the earlier --name, --public, --release-in)` : 'split files are up to date')
      if (outcome.drift) process.exitCode = 1
      return outcome.report
    }
    if (outcome.report.warnings.length) this.logToStderr(renderWarnings(outcome.report.warnings, outcome.source))
    this.log(renderSplitReport(outcome.plan, outcome.report, {source: outcome.source, mode, changed: outcome.changed}))
    if (mode === 'dry-run') this.log(`\n${outcome.diff || 'No changes: the files on disk already match.\n'}`)
    return outcome.report
  }
}
