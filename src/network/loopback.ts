/**
 * Loopback network mode (architecture.md "Local network", the macOS/unprivileged fallback): every
 * instance gets its own 127.0.0.x, registered as the IPv4-mapped `::ffff:127.0.0.x` so `.internal`
 * answers stay AAAA-only as on Fly. Apps share the host's ports, so the session (not this module)
 * must refuse two instances that want the same port. Where only 127.0.0.1 exists (macOS without
 * `ifconfig lo0 alias`), every instance shares it: names still resolve and connect.
 */
import {createServer, connect, type Socket} from 'node:net'
import {FlotillaError, ExitCode} from '../errors.js'
import type {InstanceNetwork, NetworkMode, NetworkModeOptions, PortForward} from './network-mode.js'

/** 127.0.0.1 is the host's own; instances take 127.0.0.2 onwards, then 127.0.1.0 … 127.255.255.254. */
const FIRST_HOST = 2
const LAST_HOST = 256 * 256 * 256 - 2

function loopbackAddress(n: number): string {
  return `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
}

export async function createLoopbackNetwork(_opts: NetworkModeOptions): Promise<NetworkMode> {
  const free: number[] = []
  const shared = !(await usable(loopbackAddress(FIRST_HOST)))
  let next = FIRST_HOST
  const forwards = new Set<PortForward>()
  return {
    kind: 'loopback',
    dnsBind: [],
    async attach(): Promise<InstanceNetwork> {
      const host = shared ? 1 : (free.pop() ?? next++)
      if (host > LAST_HOST) throw new FlotillaError('E_ADDRESS_EXHAUSTED', 'no loopback address left for another instance', ExitCode.runtime)
      let released = false
      return {
        ip: `::ffff:${loopbackAddress(host)}`,
        env: {},
        wrap: (argv) => argv,
        async release() {
          if (released || shared) return
          released = true
          free.push(host)
        },
      }
    },
    async forward(hostPort, targets) {
      const forward = await forwardTcp(hostPort, targets)
      forwards.add(forward)
      return {hostPort: forward.hostPort, close: async () => (forwards.delete(forward), forward.close())}
    },
    async close() {
      await Promise.all([...forwards].map((f) => f.close()))
      forwards.clear()
    },
  }
}

/** Whether this host has `address` (Linux routes all of 127/8 to lo; macOS only 127.0.0.1). */
function usable(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(0, address, () => probe.close(() => resolve(true)))
  })
}

/**
 * A TCP forwarder on the host's loopback (127.0.0.1): each connection goes to the next started
 * target, round-robin, as Fly Proxy spreads connections over Machines. No target: the connection
 * is closed at once, which a client sees as a reset rather than a hang.
 */
export async function forwardTcp(hostPort: number, targets: () => {ip: string; port: number}[]): Promise<PortForward> {
  let turn = 0
  const sockets = new Set<Socket>()
  const server = createServer({pauseOnConnect: true}, (client) => {
    const list = targets()
    const target = list[turn++ % Math.max(list.length, 1)]
    if (!target) return void client.destroy()
    const upstream = connect({host: target.ip, port: target.port})
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => (client.destroy(), upstream.destroy()))
    }
    upstream.on('connect', () => (client.pipe(upstream).pipe(client), client.resume()))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE'
        ? new FlotillaError('E_PORT_IN_USE', `port ${hostPort} on 127.0.0.1 is already in use by another program`, ExitCode.runtime)
        : error))
    server.listen(hostPort, '127.0.0.1', resolve)
  })
  const address = server.address()
  return {
    hostPort: typeof address === 'object' && address ? address.port : hostPort,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    }),
  }
}

/**
 * Loopback mode: an app binds its ports on the host itself. Says so before starting anything
 * when another program holds one (`owner` names who wants it). A host without IPv6 cannot probe
 * `::`; then the app itself will tell.
 */
export function ensurePortFree(port: number, owner: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE'
      ? reject(new FlotillaError('E_PORT_IN_USE', `port ${port}, which ${owner} listens on, is already in use by another program (another flotilla up?)`, ExitCode.runtime))
      : resolve()))
    probe.listen({port, host: '::', exclusive: true}, () => probe.close(() => resolve()))
  })
}
