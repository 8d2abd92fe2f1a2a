import {BaseCommand} from '../src/ui/base-command.js'
import type {SessionStatus} from '../src/runner/index.js'

export default class Ps extends BaseCommand {
  static override summary = 'List the instances of the flotilla up running in this directory.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<SessionStatus> {
    await this.parse(Ps)
    // The control client only: `ps` must not load the supervisor (start-up, style.md §9).
    const {controlRequest, controlSocketPath} = await import('../src/runner/control-socket.js')
    const {renderPs} = await import('../src/ui/up-render.js')
    const status = (await controlRequest(controlSocketPath(process.cwd()), {op: 'status'})) as SessionStatus
    this.log(renderPs(status))
    return status
  }
}
