import {Args} from '@oclif/core'
import {BaseCommand} from '../src/ui/base-command.js'
import type {InstanceView} from '../src/runner/index.js'

export default class Restart extends BaseCommand {
  static override summary = 'Restart the instances of one app in the running flotilla up.'
  static override examples = ['<%= config.bin %> <%= command.id %> web', '<%= config.bin %> <%= command.id %> shop-worker']
  static override args = {app: Args.string({required: true, description: 'app name, process group or app[group]'})}

  async run(): Promise<{restarted: InstanceView[]}> {
    const {args} = await this.parse(Restart)
    const {controlRequest, controlSocketPath} = await import('../src/runner/control-socket.js')
    const restarted = (await controlRequest(controlSocketPath(process.cwd()), {op: 'restart', app: args.app})) as InstanceView[]
    for (const i of restarted) this.log(`restarted ${i.app}[${i.group}].${i.index} (pid ${i.pid ?? '-'})`)
    return {restarted}
  }
}
