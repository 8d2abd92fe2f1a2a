/**
 * The local network an `up` session gives its instances (architecture.md "Local network").
 * Two implementations plug in here: loopback (each instance its own 127.0.0.x, this module's
 * sibling loopback.ts) and isolated (a network namespace per instance, src/network/isolated).
 */
import {FlotillaError, ExitCode} from '../errors.js'

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

export interface NetworkModeOptions {
  /** The session's state directory (`.flotilla/`), for files a mode needs to keep. */
  sessionDir: string
}

/** Creates the network for one session; isolated mode is loaded only when asked for. */
export async function createNetworkMode(kind: NetworkKind, opts: NetworkModeOptions): Promise<NetworkMode> {
  if (kind === 'loopback') {
    const {createLoopbackNetwork} = await import('./loopback.js')
    return createLoopbackNetwork(opts)
  }
  let isolated: {createIsolatedNetwork(opts: NetworkModeOptions): Promise<NetworkMode>}
  try {
    // A computed specifier keeps tsc from requiring the module before it exists.
    const specifier = './isolated/index.js'
    isolated = (await import(specifier)) as typeof isolated
  } catch (error) {
    throw new FlotillaError('E_NETWORK_MODE', '--network isolated is not available in this build; use --network loopback', ExitCode.runtime, {cause: error})
  }
  return isolated.createIsolatedNetwork(opts)
}
