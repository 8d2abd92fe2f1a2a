/**
 * The local network an `up` session gives its instances (architecture.md "Local network").
 * Two implementations plug in here: loopback (each instance its own 127.0.0.x, this module's
 * sibling loopback.ts) and isolated (a network namespace per instance, src/network/isolated).
 */
export type NetworkKind = 'loopback' | 'isolated'

export interface InstanceNetworkRequest {
  app: string
  group: string
  index: number
  machineId: string
}

export interface InstanceNetwork {
  /** FLY_PRIVATE_IP and the address registered for `.internal` answers. */
  ip: string
  /** Extra environment for the instance's processes. */
  env: Record<string, string>
  /** Runs argv inside the instance's network (identity in loopback mode). */
  wrap(argv: string[]): string[]
  /** TCP listeners of the instance (isolated mode, where the host cannot see them). */
  listeners?(): Promise<{address: string; port: number}[]>
  release(): Promise<void>
}

export interface PortForward {
  hostPort: number
  close(): Promise<void>
}

export interface NetworkMode {
  readonly kind: NetworkKind
  /** Extra addresses the DNS server must listen on (e.g. the namespaces' resolver address). */
  readonly dnsBind: string[]
  attach(req: InstanceNetworkRequest): Promise<InstanceNetwork>
  /** Host loopback port -> round-robin over the started targets (asked per connection). */
  forward(hostPort: number, targets: () => {ip: string; port: number}[]): Promise<PortForward>
  close(): Promise<void>
}

export interface DnsAddress {
  address: string
  port: number
}

export interface NetworkModeOptions {
  /** The session's state directory (`.flotilla/`), for files a mode needs to keep. */
  sessionDir: string
  /**
   * The session's `.internal` DNS server, for a mode whose instances cannot reach the host's
   * loopback (isolated: its resolver relays there). Asked per query: the server may start later.
   */
  dnsUpstream?: DnsAddress | (() => DnsAddress | undefined)
}

/** Creates the network for one session; each mode's code is loaded only when asked for. */
export async function createNetworkMode(kind: NetworkKind, opts: NetworkModeOptions): Promise<NetworkMode> {
  if (kind === 'loopback') {
    const {createLoopbackNetwork} = await import('./loopback.js')
    return createLoopbackNetwork(opts)
  }
  const {createIsolatedNetwork} = await import('./isolated/index.js')
  return createIsolatedNetwork(opts)
}
