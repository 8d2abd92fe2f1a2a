import {BaseCommand} from '../src/ui/base-command.js'

export default class Down extends BaseCommand {
  static override summary = 'Stop the flotilla up running in this directory; returns when every process is gone.'
  static override examples = ['<%= config.bin %> <%= command.id %>']

  async run(): Promise<{stopped: number}> {
    await this.parse(Down)
    const {stopSession} = await import('../src/runner/control-socket.js')
    const result = await stopSession(process.cwd())
    this.log(`stopped ${result.stopped} instance${result.stopped === 1 ? '' : 's'}`)
    return result
  }
}
