/**
 * src/network: the `.internal` registry, its DNS server and the Node integration
 * (docs/internal-apis.md). The server and its codec load only when a server starts.
 */
import type {DnsServer, DnsServerOptions} from './dns-server.js'

export {Registry, MAX_REGISTRY_FILE_BYTES, stableMachineId, placeholderInstances, followRegistryFile, type Instance, type RegistryFile, type Snapshot} from './registry.js'
export type {DnsServer, DnsServerOptions} from './dns-server.js'
export {registerEnv, formatHostPort, ENV_DNS, ENV_LOCAL_6PN} from './resolver.js'

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const server = await import('./dns-server.js')
  return server.startDnsServer(opts)
}
