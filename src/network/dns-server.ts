/**
 * The `.internal` DNS server: UDP and TCP on the same port, on each bind address (default the
 * IPv4 and IPv6 loopbacks). TCP follows RFC 7766: 2-byte length framing, partial and pipelined
 * reads, length 0 closes, and a connection that idles or dribbles one message for longer than the
 * timeout is closed (dnsmasq keeps those open; see dns-registry.md §1.3).
 */
import {createSocket, type Socket as UdpSocket} from 'node:dgram'
import type {LookupOneOptions} from 'node:dns'
import {createServer, isIPv6, type Server, type Socket} from 'node:net'
import {ExitCode, FlotillaError} from '../errors.js'
import {Forwarder, parseHostPort, systemResolvers, type Upstream} from './dns-forwarder.js'
import {FORWARD, QueryHandler, RCODE} from './dns-query.js'
import type {Registry} from './registry.js'

export interface DnsServer {
  /** The first bind address and the port every address listens on (UDP and TCP). */
  address: string
  port: number
  addresses: {address: string; port: number}[]
  close(): Promise<void>
}

export interface DnsServerOptions {
  registry: Registry
  /** 0 (the default) picks a free port. */
  port?: number
  /** Default ['127.0.0.1', '::1']. */
  bind?: string[]
  /** Out-of-zone names: REFUSED (false, default), the system's resolvers (true), or these "HOST[:PORT]". */
  forward?: boolean | string[]
  /** Positive TTL and negative-caching time, seconds (Fly: 5). */
  ttl?: number
  /** A TCP connection idle, or one message arriving, for longer than this is closed (default 2500). */
  tcpTimeoutMs?: number
}

const DEFAULT_BIND = ['127.0.0.1', '::1']
const MAX_TCP_CONNECTIONS = 512
const PORT_ATTEMPTS = 8
const NO_IPV6 = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EPROTONOSUPPORT'])

interface Listener {
  udp: UdpSocket
  tcp: Server
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const bind = opts.bind?.length ? opts.bind : DEFAULT_BIND
  const upstreams = await upstreamsFor(opts.forward)
  const handler = new QueryHandler(opts.registry, {forward: upstreams !== undefined, ...(opts.ttl === undefined ? {} : {ttl: opts.ttl})})
  const connections = new Set<Socket>()
  let listeners: Listener[] = []
  let port = opts.port ?? 0
  for (let attempt = 1; ; attempt++) {
    try {
      for (const address of bind) {
        const listener = await listen(address, port).catch((error: NodeJS.ErrnoException) => {
          // Hosts and containers without IPv6 have no ::1: the default then serves IPv4 alone.
          if (!opts.bind?.length && address === '::1' && listeners.length > 0 && NO_IPV6.has(error.code ?? '')) return undefined
          throw error
        })
        if (!listener) continue
        listeners.push(listener)
        port = listener.udp.address().port
      }
      break
    } catch (error) {
      await Promise.all(listeners.map(closeListener))
      listeners = []
      const code = (error as NodeJS.ErrnoException).code
      // With port 0 the free port of the first address can be taken on another one: try again.
      if (opts.port === 0 || opts.port === undefined) {
        port = 0
        if (code === 'EADDRINUSE' && attempt < PORT_ATTEMPTS) continue
      }
      throw new FlotillaError('E_DNS_BIND', `cannot listen on ${bind.join(', ')} port ${opts.port ?? 0}: ${(error as Error).message}`, ExitCode.runtime, {cause: error})
    }
  }
  const self = listeners.map((l) => l.udp.address())
  const forwarder = upstreams && new Forwarder(upstreams.filter((u) => !self.some((s) => s.port === u.port && s.address === u.address)))

  const answer = (msg: Buffer, tcp: boolean): ReturnType<QueryHandler['answer']> => {
    try {
      return handler.answer(msg, tcp)
    } catch {
      return handler.fail(msg, RCODE.SERVFAIL) // a bug must cost one answer, never the server
    }
  }
  const forward = (msg: Buffer, tcp: boolean, send: (reply: Buffer) => void): void =>
    void forwarder!.query(msg, tcp).then((r) => send(r ?? handler.fail(msg, RCODE.SERVFAIL)))
  const reply = (msg: Buffer, tcp: boolean, send: (reply: Buffer) => void): void => {
    const a = answer(msg, tcp)
    if (a === FORWARD) forward(msg, tcp, send)
    else if (a !== undefined) send(a)
  }
  const timeoutMs = opts.tcpTimeoutMs ?? 2500
  for (const {udp, tcp} of listeners) {
    // The hot path: no closure per query unless it is forwarded; send errors go to 'error'.
    udp.on('message', (msg, from) => {
      const a = answer(msg, false)
      if (a === FORWARD) forward(msg, false, (r) => udp.send(r, from.port, from.address))
      else if (a !== undefined) udp.send(a, from.port, from.address)
    })
    tcp.on('connection', (socket) => serveTcp(socket, connections, timeoutMs, reply))
  }
  return {
    address: self[0]!.address,
    port,
    addresses: self.map(({address}) => ({address, port})),
    async close() {
      for (const socket of connections) socket.destroy()
      forwarder?.close()
      await Promise.all(listeners.map(closeListener))
    },
  }
}

async function upstreamsFor(forward: DnsServerOptions['forward']): Promise<Upstream[] | undefined> {
  if (forward === undefined || forward === false) return undefined
  if (forward === true) return systemResolvers()
  return forward.map((text) => {
    const upstream = parseHostPort(text, 53)
    if (!upstream) throw new FlotillaError('E_DNS_FORWARD', `not an upstream resolver address (HOST[:PORT]): ${text}`)
    return upstream
  })
}

function ignore(): void {}

/**
 * Replies go to the sender's address, always an IP literal: skip dgram's default dns.lookup
 * (a lookup call and a process.nextTick per reply) and hand the literal straight back.
 */
function literalLookup(address: string, options: LookupOneOptions | number, callback: (error: null, address: string, family: number) => void): void {
  // Node 20 passes the socket's family as a number (@types/node says an options object).
  callback(null, address, typeof options === 'number' ? options : (options.family === 6 ? 6 : 4))
}

async function listen(address: string, port: number): Promise<Listener> {
  const v6 = isIPv6(address)
  const udp = createSocket({type: v6 ? 'udp6' : 'udp4', ipv6Only: v6, recvBufferSize: 1 << 20, lookup: literalLookup})
  const tcp = createServer({noDelay: true})
  tcp.maxConnections = MAX_TCP_CONNECTIONS
  try {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject)
      udp.bind({address, port, exclusive: true}, () => {
        udp.off('error', reject)
        resolve()
      })
    })
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject)
      tcp.listen({host: address, port: udp.address().port, ipv6Only: v6}, () => {
        tcp.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    await closeListener({udp, tcp})
    throw error
  }
  udp.on('error', ignore) // send failures (ICMP unreachable from a vanished client) are per-packet
  tcp.on('error', ignore)
  return {udp, tcp}
}

function closeListener({udp, tcp}: Listener): Promise<void> {
  return new Promise((resolve) => {
    try {
      udp.close()
    } catch {
      // never bound
    }
    if (tcp.listening) tcp.close(() => resolve())
    else resolve()
  })
}

function serveTcp(socket: Socket, connections: Set<Socket>, timeoutMs: number, reply: (msg: Buffer, tcp: boolean, send: (r: Buffer) => void) => void): void {
  connections.add(socket)
  let pending = Buffer.alloc(0)
  let messageDeadline: NodeJS.Timeout | undefined
  const send = (answer: Buffer): void => {
    if (socket.destroyed) return
    const framed = Buffer.allocUnsafe(2 + answer.length)
    framed.writeUInt16BE(answer.length, 0)
    answer.copy(framed, 2)
    if (!socket.write(framed)) socket.pause() // the client is not reading: stop reading its queries
  }
  socket.setTimeout(timeoutMs, () => socket.destroy())
  socket.on('drain', () => socket.resume())
  socket.on('error', ignore)
  socket.on('close', () => {
    clearTimeout(messageDeadline)
    connections.delete(socket)
  })
  socket.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (pending.length >= 2) {
      const size = pending.readUInt16BE(0)
      if (size === 0) return void socket.destroy()
      if (pending.length < 2 + size) break
      const msg = pending.subarray(2, 2 + size)
      pending = pending.subarray(2 + size)
      clearTimeout(messageDeadline)
      messageDeadline = undefined
      reply(msg, true, send)
    }
    // A message must arrive whole within the timeout, however slowly it trickles in.
    if (pending.length > 0 && messageDeadline === undefined) messageDeadline = setTimeout(() => socket.destroy(), timeoutMs)
  })
}
