import {styleText} from 'node:util'
import {BaseCommand} from '../src/ui/base-command.js'
import type {IsolatedProbe} from '../src/network/isolated/index.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check that this machine can run `up --network isolated`, and say how to fix what is missing.'
  static override description = 'Checks the tools (ip, unshare, nsenter, setpriv, mount), the kernel switches for unprivileged user namespaces, then creates a real namespace, bridge and veth with one instance in it and tears it down. No root needed. Exits 1 when isolated mode is unavailable (`up` then uses loopback).'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']

  async run(): Promise<IsolatedProbe> {
    await this.parse(Doctor)
    const {probeIsolated} = await import('../src/network/isolated/index.js')
    const {renderTable} = await import('../src/ui/table.js')
    const probe = await probeIsolated()
    this.log(renderTable(probe.checks, [
      {header: 'CHECK', cell: (c) => c.name},
      {header: 'STATUS', cell: (c) => (c.ok ? styleText('green', 'ok') : styleText('red', 'missing'))},
      {header: 'DETAIL', cell: (c) => c.detail},
    ]))
    for (const c of probe.checks.filter((check) => check.fix)) this.log(`\n${c.name}: ${c.fix}`)
    this.log(probe.available
      ? '\nisolated network: available; `flotilla up` uses it here by default'
      : `\nisolated network: unavailable, ${probe.reason}; \`flotilla up\` runs with --network loopback`)
    if (!probe.available) process.exitCode = 1
    return probe
  }
}
