import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../src/ui/base-command.js'
import type {LogLine, SessionStatus} from '../src/runner/index.js'

export default class Logs extends BaseCommand {
  static override summary = 'Show the logs of the running flotilla up (one app, or all).'
  static override description = 'With --json, one JSON object per line (NDJSON).'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> web -f', '<%= config.bin %> <%= command.id %> --json -n 20']
  static override args = {app: Args.string({description: 'app name, process group or app[group]'})}
  static override flags = {
    follow: Flags.boolean({char: 'f', default: false, description: 'keep printing new lines'}),
    lines: Flags.integer({char: 'n', default: 100, min: 0, description: 'recent lines to show first'}),
    timestamps: Flags.boolean({default: false, description: 'prefix lines with the time'}),
  }

  async run(): Promise<undefined> {
    const {args, flags} = await this.parse(Logs)
    const [{controlRequest, controlSocketPath, namesGroup}, {LogMux}, {instanceKey}] = await Promise.all([import('../src/runner/control-socket.js'),
      import('../src/runner/log-mux.js'), import('../src/runner/log-format.js')])
    const mux = new LogMux(process.stdout, {format: this.jsonEnabled() ? 'json' : 'text', timestamps: flags.timestamps})
    const seen = new Set<string>()
    // Every selected instance known before the first line: the backlog gets the live lines' column width.
    const {instances} = (await controlRequest(controlSocketPath(process.cwd()), {op: 'status'})) as SessionStatus
    for (const {app, group, index} of instances.filter((i) => args.app === undefined || namesGroup(args.app, i.app, i.group))) {
      const key = instanceKey(app, group, index)
      seen.add(key)
      mux.add({key, app, group, index})
    }
    await controlRequest(controlSocketPath(process.cwd()), {op: 'logs', follow: flags.follow, tail: flags.lines,
      ...(args.app === undefined ? {} : {app: args.app})}, (message) => {
      const line = message as LogLine
      const source = {key: line.key, app: line.app, group: line.group, index: line.instance}
      if (!seen.has(line.key)) (seen.add(line.key), mux.add(source))
      mux.write(source, line.stream, line.line + '\n', line.ts, line.partial === true)
    })
    return undefined
  }
}
