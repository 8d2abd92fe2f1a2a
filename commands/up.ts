import {Flags} from '@oclif/core'
import {PassThrough} from 'node:stream'
import {ExitCode} from '../src/errors.js'
import type {SessionStatus} from '../src/runner/index.js'
import {BaseCommand} from '../src/ui/base-command.js'
import {networkFlag, planOptions, runFlags} from '../src/ui/up-flags.js'

export default class Up extends BaseCommand {
  static override summary = 'Run every app of the workspace locally, the way Fly runs them, with .internal DNS.'
  static override description = 'Runs flotilla.toml, else the process groups of ./fly.toml, else ./Procfile. Ctrl-C stops everything (twice: at once). With --json, logs are NDJSON.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --detach --wait', '<%= config.bin %> <%= command.id %> --only web --scale worker=3']
  static override flags = {
    ...runFlags,
    network: networkFlag,
    detach: Flags.boolean({default: false, description: 'run in the background; return once started (healthy with --wait)'}),
    wait: Flags.boolean({default: false, description: 'consider the apps up only when their health checks pass'}),
    timestamps: Flags.boolean({default: false, description: 'prefix log lines with the time'}),
  }

  async run(): Promise<SessionStatus | undefined> {
    const {flags} = await this.parse(Up)
    const {loadRunPlan, Session} = await import('../src/runner/index.js')
    const {renderRunning, showStartup} = await import('../src/ui/up-render.js')
    if (flags.detach) {
      const {startDetached} = await import('../src/runner/workspace-runner.js')
      const status = await startDetached(process.cwd(), this.argv.filter((arg) => arg !== '--detach'), {healthy: flags.wait, timeoutMs: flags['wait-timeout'] * 1000})
      this.log(renderRunning(status, true))
      return status
    }
    const plan = await loadRunPlan(process.cwd(), planOptions(flags))
    for (const warning of plan.warnings) this.warn(warning.message)
    if (!this.jsonEnabled()) process.once('SIGINT', () => process.stderr.write('Stopping… (Ctrl-C again to stop at once)\n'))
    // The apps' lines wait (their pipes paused, nothing lost) until the startup progress is printed.
    const logs = new PassThrough()
    const release = () => logs.pipe(process.stdout)
    process.stdout.on('error', (error) => logs.destroy(error)) // a closed stdout stops the session
    const session = await Session.start({plan, network: flags.network, logs, signals: true,
      logFormat: this.jsonEnabled() ? 'json' : 'text', timestamps: flags.timestamps}).catch((error: {code?: string}) => {
      release()
      if (error.code === 'E_INTERRUPTED') return undefined // Ctrl-C while starting: everything is stopped
      throw error
    })
    if (!session) return undefined
    const failed = await showStartup(session, {healthy: flags.wait, timeoutMs: flags['wait-timeout'] * 1000, json: this.jsonEnabled(), shown: release})
    if (failed.length > 0) process.exitCode = ExitCode.runtime
    // Nothing came up: nothing to keep running. Otherwise the rest runs until Ctrl-C or `down`.
    if (failed.length === plan.apps.length) await session.stop()
    else if (!this.jsonEnabled() && !session.stopping) this.log(renderRunning(session.status(), false))
    await session.closed
    return undefined
  }
}
