import {resolve} from 'node:path'
import {Flags} from '@oclif/core'
import {FlotillaError} from '../../src/errors.js'
import {BaseCommand} from '../../src/ui/base-command.js'

export default class DnsServe extends BaseCommand {
  static override summary = 'Serve the .internal names of a registry file or of ./flotilla.toml, as Fly\'s resolver answers them.'
  static override description = 'With --registry, answers for the instances in that file and follows changes to it (point it at .flotilla/registry.json to mirror a running `flotilla up`). Without it, every app of ./flotilla.toml gets one started placeholder instance (id from the app name, region lcl, address ::ffff:127.0.0.N). Stops on Ctrl-C / SIGTERM.'
  static override examples = ['<%= config.bin %> <%= command.id %> --port 5300', '<%= config.bin %> <%= command.id %> --registry .flotilla/registry.json --forward']
  static override flags = {
    registry: Flags.string({description: 'registry JSON file (architecture.md format); default: ./flotilla.toml\'s apps'}),
    port: Flags.integer({default: 0, min: 0, max: 65_535, description: 'UDP and TCP port (0 = a free port, printed)'}),
    bind: Flags.string({multiple: true, description: 'address to listen on; repeatable (default 127.0.0.1 and ::1)'}),
    forward: Flags.boolean({default: false, description: 'forward names outside .internal to the resolvers of /etc/resolv.conf instead of REFUSED'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(DnsServe)
    const {Registry, followRegistryFile, placeholderInstances, startDnsServer, formatHostPort, registerEnv} = await import('../../src/network/index.js')
    let registry: InstanceType<typeof Registry>
    let unfollow = (): void => {}
    if (flags.registry) {
      registry = await Registry.readFile(flags.registry)
      unfollow = followRegistryFile(resolve(flags.registry), registry, (error) => this.warn(`${error.message} (keeping the previous registry)`))
    } else {
      const {readFile} = await import('node:fs/promises')
      const {parseWorkspace} = await import('../../src/workspace/index.js')
      const file = resolve('flotilla.toml')
      const text = await readFile(file).catch(() => {
        throw new FlotillaError('E_NO_REGISTRY', 'no ./flotilla.toml here: run `flotilla split` first, or pass --registry FILE')
      })
      registry = new Registry(placeholderInstances(parseWorkspace(text, file).apps))
    }
    // Listen for signals before printing the address: a caller may stop us as soon as it reads it.
    const stopped = new Promise<void>((done) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => done())
    })
    const server = await startDnsServer({registry, port: flags.port, forward: flags.forward, ...(flags.bind ? {bind: flags.bind} : {})})
    for (const {address, port} of server.addresses) this.log(`listening on ${formatHostPort(address, port)} (udp+tcp)`)
    // One compact line while still running (oclif's logJson pretty-prints over several lines).
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({address: server.address, port: server.port, addresses: server.addresses})}\n`)
    const env = registerEnv(server)
    this.log(`try: dig @${server.address} -p ${server.port} _apps.internal TXT`)
    this.log(`node: FLOTILLA_DNS=${env.FLOTILLA_DNS} NODE_OPTIONS="${env.NODE_OPTIONS}"`)
    await stopped
    unfollow()
    await server.close()
  }
}
