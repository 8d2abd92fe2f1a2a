import {BaseCommand} from '../src/ui/base-command.js'
import {planOptions, runFlags} from '../src/ui/up-flags.js'

export default class Exec extends BaseCommand {
  static override summary = 'Run a command with the workspace up and .internal names resolvable; exit with its status.'
  static override description = 'Starts every app (or uses the flotilla up already running here), waits until all are healthy, runs CMD with the .internal resolver (NODE_OPTIONS preload, FLOTILLA_DNS), then stops what it started. The apps\' logs go to .flotilla/exec.log and are printed when CMD fails. CMD runs on the host, so the apps run on the loopback network, where the host reaches them. For CI test steps.'
  static override examples = ['<%= config.bin %> <%= command.id %> -- npm test', '<%= config.bin %> <%= command.id %> --only api -- node e2e.js']
  static override usage = '<%= command.id %> [--only APP]... [--scale APP=N]... -- CMD [ARG]...'
  static override strict = false
  static override flags = runFlags
  static override enableJsonFlag = false

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Exec)
    const command = (argv as string[]).filter((arg, i) => !(i === 0 && arg === '--'))
    if (command.length === 0) this.error('give the command to run: flotilla exec -- CMD [ARGS…]', {exit: 2})
    const {execInWorkspace, logTail} = await import('../src/runner/workspace-runner.js')
    const result = await execInWorkspace(process.cwd(), command, {...planOptions(flags), timeoutMs: flags['wait-timeout'] * 1000})
    if (result.notRun !== undefined) process.stderr.write(`flotilla: ${result.notRun}\n`)
    else if (result.status !== 0) {
      process.stderr.write(`flotilla: ${command.join(' ')} exited with status ${result.status}; the apps' logs (${result.logFile}):\n${await logTail(result.logFile)}\n`)
    }
    process.exitCode = result.status
  }
}
