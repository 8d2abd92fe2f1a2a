import {Args, Flags} from '@oclif/core'
import {ExitCode, FlotillaError} from '../src/errors.js'
import {BaseCommand} from '../src/ui/base-command.js'

const TYPES = ['AAAA', 'TXT', 'A', 'SOA', 'NS', 'ANY', 'SRV', 'PTR', 'CNAME', 'MX'] as const

export default class Resolve extends BaseCommand {
  static override summary = 'Ask the .internal DNS a question and print the answers like `dig +short`.'
  static override description = 'The server is --server, else $FLOTILLA_DNS (set inside `flotilla up` instances), else the DNS of the `flotilla up` running in this directory. Exits 1 when the name has no record of that type (NXDOMAIN or NODATA).'
  static override examples = ['<%= config.bin %> <%= command.id %> shop.internal', '<%= config.bin %> <%= command.id %> _apps.internal TXT', '<%= config.bin %> <%= command.id %> vms.shop.internal TXT --server 127.0.0.1:5300 --json']
  static override args = {
    name: Args.string({required: true, description: 'name to resolve, e.g. shop.internal'}),
    type: Args.string({default: 'AAAA', options: [...TYPES, ...TYPES.map((t) => t.toLowerCase())], description: 'record type'}),
  }
  static override flags = {
    server: Flags.string({description: 'DNS server as HOST:PORT ([::1]:PORT for IPv6)'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(Resolve)
    const {parseHostPort} = await import('../src/network/dns-forwarder.js')
    const {queryDns} = await import('../src/network/dns-client.js')
    const given = flags.server ?? process.env.FLOTILLA_DNS
    let server = given === undefined ? undefined : parseHostPort(given, 53)
    if (given !== undefined && !server) throw new FlotillaError('E_USAGE', `--server expects HOST:PORT, got ${JSON.stringify(given)}`)
    if (!server) {
      const {controlRequest, controlSocketPath} = await import('../src/runner/index.js')
      const status = (await controlRequest(controlSocketPath(process.cwd()), {op: 'status'}).catch(() => {
        throw new FlotillaError('E_NO_SERVER', 'no DNS server to ask: pass --server HOST:PORT, or run `flotilla up` (or `flotilla dns serve`) first', ExitCode.input)
      })) as {dns: {address: string; port: number}}
      server = status.dns
    }
    const result = await queryDns(server, args.name, args.type.toUpperCase())
    for (const answer of result.answers) this.log(answer.data)
    if (result.answers.length === 0) {
      this.logToStderr(`${args.name} ${args.type.toUpperCase()}: ${result.rcode === 'NOERROR' ? 'NODATA (the name exists, without this type)' : result.rcode}`)
      process.exitCode = ExitCode.failed
    }
    return {name: args.name, type: args.type.toUpperCase(), server, ...result}
  }
}
