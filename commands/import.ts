import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../src/ui/base-command.js'
import type {ImportReport} from '../src/importers/index.js'

export default class Import extends BaseCommand {
  static override summary = 'Turn a Procfile, supervisord.conf or shell entrypoint into Fly process groups or apps.'
  static override description = 'Writes [processes] groups into a fly.toml (--to groups, merged into an existing one) or one fly.<group>.toml per group plus flotilla.toml (--to apps), and reports every setting that does not carry over.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> procfile Procfile',
    '<%= config.bin %> <%= command.id %> supervisord docker/supervisord.conf --to apps --app shop',
    '<%= config.bin %> <%= command.id %> script start.sh --json',
  ]
  static override args = {
    kind: Args.string({required: true, options: ['procfile', 'supervisord', 'script'], description: 'what FILE is'}),
    file: Args.string({required: true, description: 'the Procfile, supervisord.conf or shell script'}),
  }
  static override flags = {
    to: Flags.option({options: ['groups', 'apps'] as const, default: 'groups' as const, description: 'process groups of one fly.toml, or a split workspace'})(),
    app: Flags.string({description: 'Fly app name (default: the fly.toml\'s, else the directory name)'}),
    config: Flags.string({default: 'fly.toml', description: 'fly.toml to merge into; with --to apps, its directory receives the files'}),
    force: Flags.boolean({default: false, description: 'replace existing [processes] or files'}),
  }

  async run(): Promise<ImportReport> {
    const {args, flags} = await this.parse(Import)
    const {importFile, writeImport, renderImportReport} = await import('../src/importers/index.js')
    const plan = await importFile(args.kind as 'procfile' | 'supervisord' | 'script', args.file)
    const report = await writeImport(plan, {to: flags.to, config: flags.config, force: flags.force,
      ...(flags.app === undefined ? {} : {app: flags.app}), invocation: `flotilla import ${args.kind} ${args.file}${flags.to === 'apps' ? ' --to apps' : ''}`})
    this.log(renderImportReport(report))
    return report
  }
}
