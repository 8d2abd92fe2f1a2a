/**
 * Isolated network mode, host side (architecture.md "Local network"): starts the holder
 * (holder.ts) in a user+net+mount namespace of its own and drives it over IPC. Every instance
 * gets a net+mount+uts namespace on the holder's bridge with a Fly-like 6PN address, Fly's
 * /etc/resolv.conf and /etc/hosts, and its processes enter it through `wrap`.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {once} from 'node:events'
import {mkdir, rmdir} from 'node:fs/promises'
import {connect, createServer, type Server, type Socket} from 'node:net'
import {extname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {FlotillaError, ExitCode} from '../../errors.js'
import {ENV_DNS, formatHostPort} from '../resolver.js'
import type {InstanceNetwork, InstanceNetworkRequest, NetworkMode, NetworkModeOptions, PortForward} from '../network-mode.js'
import {FIRST_SLOT, LAST_SLOT, RESOLVER, hostsFile, instanceAddress, proxyAddress, proxyEnv} from './addresses.js'
import {queryUpstream} from './dns-upstream.js'
import {readListeners} from './listeners.js'
import type {HolderMessage, HostMessage} from './protocol.js'
import {findTools, type ToolPaths} from './tools.js'

const START_TIMEOUT_MS = 10_000
const REQUEST_TIMEOUT_MS = 10_000
const DIAL_TIMEOUT_MS = 15_000

function unavailable(message: string, cause?: unknown): FlotillaError {
  return new FlotillaError('E_ISOLATED_UNAVAILABLE', `isolated network: ${message}`, ExitCode.runtime, cause === undefined ? undefined : {cause})
}

export async function createIsolatedNetwork(opts: NetworkModeOptions): Promise<NetworkMode> {
  if (process.platform !== 'linux') throw unavailable('needs Linux network namespaces; use --network loopback')
  const {paths, missing} = await findTools()
  if (missing.length > 0) throw unavailable(`missing ${missing.map((t) => `${t.name} (${t.packageName})`).join(', ')}; run \`flotilla doctor\``)
  const network = new IsolatedNetwork(paths, opts)
  await network.start()
  return network
}

class IsolatedNetwork implements NetworkMode {
  readonly kind = 'isolated'
  /** The relay reaches the server on the host's loopback, so it needs no extra address. */
  readonly dnsBind: string[] = []
  private readonly dir: string
  private holder!: ChildProcess
  private stderr = ''
  private exited: Error | undefined
  private nextRequest = 0
  private readonly pending = new Map<number, {resolve(message: HolderMessage & {t: 'reply'}): void; reject(error: Error): void}>()
  /** By app, group and index; a promise, so concurrent attaches of one instance share one namespace. */
  private readonly attached = new Map<string, Promise<InstanceNetwork>>()
  private readonly usedAddresses = new Set<string>()
  private readonly freeSlots: number[] = []
  private nextSlot = FIRST_SLOT
  private readonly forwards = new Set<Server>()

  constructor(private readonly tools: ToolPaths, private readonly opts: NetworkModeOptions) {
    this.dir = join(opts.sessionDir, 'net')
  }

  async start(): Promise<void> {
    await mkdir(this.dir, {recursive: true})
    const self = fileURLToPath(import.meta.url)
    const holderScript = join(self, '..', `holder${extname(self)}`)
    // From source (tests, bin/dev.js) the holder is TypeScript too: give its node the tsx loader.
    const loader = holderScript.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : []
    const {hostname, ip, mount, unshare} = this.tools
    const ids = [`--map-user=${process.getuid?.() ?? 0}`, `--map-group=${process.getgid?.() ?? 0}`]
    this.holder = spawn(unshare, [...ids, '--keep-caps', '--net', '--mount', '--propagation', 'slave', '--',
      process.execPath, ...loader, holderScript, this.dir, JSON.stringify({hostname, ip, mount, unshare})],
    {stdio: ['ignore', 'ignore', 'pipe', 'ipc']})
    this.holder.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-4000)))
    this.holder.on('message', (message: HolderMessage) => this.onMessage(message))
    this.holder.on('error', (error) => this.onExit(error))
    this.holder.on('exit', (code, signal) => this.onExit(new Error(`the network holder exited (${signal ?? `code ${code}`})`)))
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the network holder did not start in time')), START_TIMEOUT_MS)
      this.holder.on('message', (m: HolderMessage) => {
        if (m.t === 'ready') (clearTimeout(timer), resolve())
        if (m.t === 'fatal') (clearTimeout(timer), reject(new Error(m.message)))
      })
      this.holder.on('exit', () => (clearTimeout(timer), reject(this.exited)))
      this.holder.on('error', (error) => (clearTimeout(timer), reject(error)))
    })
    try {
      await ready
    } catch (error) {
      await this.close()
      const detail = this.stderr.trim().split('\n').at(-1) || (error as Error).message
      throw unavailable(`${detail}; run \`flotilla doctor\``, error)
    }
  }

  attach(req: InstanceNetworkRequest): Promise<InstanceNetwork> {
    const key = `${req.app}\0${req.group}\0${req.index}`
    let attaching = this.attached.get(key)
    if (!attaching) {
      attaching = this.attachNew(key, req)
      this.attached.set(key, attaching)
      attaching.catch(() => this.attached.delete(key))
    }
    return attaching
  }

  private async attachNew(key: string, req: InstanceNetworkRequest): Promise<InstanceNetwork> {
    const slot = this.freeSlots.pop() ?? this.nextSlot++
    if (slot > LAST_SLOT) throw new FlotillaError('E_ADDRESS_EXHAUSTED', 'no address left for another instance', ExitCode.runtime)
    let ip = instanceAddress(req.app, req.group, req.index)
    for (let salt = 1; this.usedAddresses.has(ip); salt++) ip = instanceAddress(req.app, req.group, req.index, salt)
    this.usedAddresses.add(ip)
    const ip4 = proxyAddress(slot)
    let pid: number
    try {
      const reply = await this.request({t: 'attach', id: 0, spec: {slot, ip6: ip, ip4, hostname: req.machineId, hosts: hostsFile(ip, ip4, req.machineId)}})
      pid = reply.pid ?? 0
    } catch (error) {
      this.usedAddresses.delete(ip)
      this.freeSlots.push(slot)
      throw new FlotillaError('E_NETWORK_ATTACH', `${req.app}[${req.group}].${req.index}: ${(error as Error).message}`, ExitCode.runtime, {cause: error})
    }
    const {nsenter, setpriv} = this.tools
    let released = false
    const network: InstanceNetwork = {
      ip,
      // FLOTILLA_DNS for the Node preload if `up` sets it: inside, the resolver is fdaa::3, not
      // the host's loopback. The proxy variables are the only way out (egress-proxy.ts).
      env: {[ENV_DNS]: formatHostPort(RESOLVER, 53), ...proxyEnv()},
      // setpriv: the process dies with its supervisor, so a SIGKILLed `up` leaves no one behind
      // holding the namespace. --wd=.: entering a mount namespace would otherwise cd to /.
      wrap: (argv) => [setpriv, '--pdeathsig', 'KILL', '--', nsenter, '--preserve-credentials', '--user', '--mount', '--net', '--uts',
        `--target=${pid}`, '--wd=.', '--', ...argv],
      listeners: () => readListeners(pid),
      release: async () => {
        if (released) return
        released = true
        this.attached.delete(key)
        // A holder that is gone (its process group was signalled too, say) took the namespace with it.
        await this.request({t: 'release', id: 0, slot}).catch((error: unknown) => {
          if (!this.exited) throw error
        })
        this.usedAddresses.delete(ip)
        this.freeSlots.push(slot)
      },
    }
    return network
  }

  async forward(hostPort: number, targets: () => {ip: string; port: number}[]): Promise<PortForward> {
    let turn = 0
    const server = createServer({pauseOnConnect: true}, (client: Socket) => {
      const list = targets()
      if (list.length === 0 || !this.holder.connected) return void client.destroy()
      const first = turn++ % list.length
      // Unread (pauseOnConnect), so handing the socket over loses no byte; the holder tries the
      // targets in this order, which makes it round-robin with failover.
      const message: HostMessage = {t: 'forward', targets: [...list.slice(first), ...list.slice(0, first)]}
      this.holder.send(message, client, (error) => error && client.destroy())
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE'
        ? new FlotillaError('E_PORT_IN_USE', `port ${hostPort} on 127.0.0.1 is already in use by another program`, ExitCode.runtime)
        : error))
      server.listen(hostPort, '127.0.0.1', resolve)
    })
    this.forwards.add(server)
    const address = server.address()
    return {
      hostPort: typeof address === 'object' && address ? address.port : hostPort,
      // Not server.close's callback: for sockets handed to another process it waits until that
      // process closes them (and forever if it died). The port is free as soon as close() returns.
      close: async () => {
        this.forwards.delete(server)
        server.close()
      },
    }
  }

  async close(): Promise<void> {
    for (const server of this.forwards) server.close()
    this.forwards.clear()
    this.attached.clear()
    if (this.holder.exitCode === null && this.holder.signalCode === null) {
      const exit = once(this.holder, 'exit')
      // Closing the channel is the holder's signal to tear down; it is also what a crash does.
      if (this.holder.connected) this.holder.disconnect()
      const timer = setTimeout(() => this.holder.kill('SIGKILL'), 3000)
      await exit
      clearTimeout(timer)
    }
    await rmdir(this.dir).catch(() => {})
  }

  private request(message: HostMessage & {id: number}): Promise<HolderMessage & {t: 'reply'}> {
    if (this.exited) return Promise.reject(this.exited)
    const id = this.nextRequest++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => (this.pending.delete(id), reject(new Error('the network holder did not answer'))), REQUEST_TIMEOUT_MS)
      this.pending.set(id, {
        resolve: (reply) => (clearTimeout(timer), reply.error ? reject(new Error(reply.error)) : resolve(reply)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      })
      this.holder.send({...message, id})
    })
  }

  private onMessage(message: HolderMessage): void {
    if (message.t === 'reply') {
      this.pending.get(message.id)?.resolve(message)
      this.pending.delete(message.id)
    } else if (message.t === 'dial') {
      this.dial(message.id, message.host, message.port)
    } else if (message.t === 'dns') {
      const upstream = typeof this.opts.dnsUpstream === 'function' ? this.opts.dnsUpstream() : this.opts.dnsUpstream
      void queryUpstream(upstream, Buffer.from(message.data, 'base64'), message.tcp).then((answer) => {
        if (this.holder.connected) this.holder.send({t: 'dns-reply', id: message.id, data: answer.toString('base64')} satisfies HostMessage)
      })
    }
  }

  /** Opens a connection for the egress proxy and hands it to the holder, unread. */
  private dial(id: number, host: string, port: number): void {
    const socket = connect({host, port, timeout: DIAL_TIMEOUT_MS})
    socket.pause() // nothing read here: a server that speaks first must be heard by the client
    const fail = (why: string) => (socket.destroy(), this.holder.connected && this.holder.send({t: 'dialed', id, error: why} satisfies HostMessage))
    socket.once('timeout', () => fail('timed out'))
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message))
    socket.once('connect', () => {
      socket.setTimeout(0)
      if (!this.holder.connected) return void socket.destroy()
      this.holder.send({t: 'dialed', id} satisfies HostMessage, socket, (error) => error && socket.destroy())
    })
  }

  private onExit(error: Error): void {
    this.exited ??= error
    for (const {reject} of this.pending.values()) reject(error)
    this.pending.clear()
  }
}
