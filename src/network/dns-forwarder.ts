/**
 * Relays out-of-zone queries to upstream resolvers (the system's, from /etc/resolv.conf, unless
 * given), as Fly's fdaa::3 resolves public names for Machines. The query bytes go upstream as they
 * are, under a fresh random id; the reply comes back with the client's id. An upstream that does
 * not answer in time is skipped for the next one; when none answers the caller sends SERVFAIL.
 */
import {randomInt} from 'node:crypto'
import {createSocket, type Socket as UdpSocket} from 'node:dgram'
import {readFile} from 'node:fs/promises'
import {isIP} from 'node:net'
import {tcpExchange} from './dns-exchange.js'

export interface Upstream {
  address: string
  port: number
}

const TIMEOUT_MS = 2000

/** "1.1.1.1", "1.1.1.1:5353", "[::1]:53", "::1" → an upstream; `undefined` when not an address. */
export function parseHostPort(text: string, defaultPort: number): Upstream | undefined {
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? (isIP(text) ? [text, text] : /^([^:]+):(\d+)$/.exec(text))
  const address = match?.[1]
  const port = match?.[2] === undefined ? defaultPort : Number(match[2])
  if (address === undefined || isIP(address) === 0 || !Number.isInteger(port) || port < 0 || port > 65_535) return undefined
  return {address, port}
}

/** The `nameserver` lines of resolv.conf (scope ids dropped), port 53. */
export async function systemResolvers(file = '/etc/resolv.conf'): Promise<Upstream[]> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)]
    .map((m) => parseHostPort(m[1]!.replace(/%.*$/, ''), 53))
    .filter((u): u is Upstream => u !== undefined)
}

interface Pending {
  id: number
  upstream: Upstream
  done(reply: Buffer | undefined): void
}

export class Forwarder {
  readonly #upstreams: Upstream[]
  readonly #pending = new Map<number, Pending>()
  readonly #sockets = new Map<4 | 6, UdpSocket>()

  constructor(upstreams: Upstream[]) {
    this.#upstreams = upstreams
  }

  /** The upstream's reply with the client's id restored, or `undefined` when none answered. */
  async query(msg: Buffer, tcp: boolean): Promise<Buffer | undefined> {
    for (const upstream of this.#upstreams) {
      const reply = await (tcp ? tcpExchange(upstream, msg, TIMEOUT_MS) : this.#udp(msg, upstream)).catch(() => undefined)
      if (reply !== undefined && reply.length >= 12) {
        msg.copy(reply, 0, 0, 2)
        return reply
      }
    }
    return undefined
  }

  close(): void {
    for (const socket of this.#sockets.values()) socket.close()
    this.#sockets.clear()
    for (const pending of this.#pending.values()) pending.done(undefined)
  }

  #socket(family: 4 | 6): UdpSocket {
    let socket = this.#sockets.get(family)
    if (!socket) {
      socket = createSocket(family === 4 ? 'udp4' : 'udp6')
      socket.on('error', () => {}) // an ICMP error for one upstream must not end forwarding
      socket.on('message', (reply, from) => {
        if (reply.length < 12) return
        const pending = this.#pending.get(reply.readUInt16BE(0))
        // Only the upstream we asked may answer (no spoofed replies from other local ports).
        if (pending && from.port === pending.upstream.port && from.address === pending.upstream.address) pending.done(reply)
      })
      socket.unref()
      this.#sockets.set(family, socket)
    }
    return socket
  }

  #udp(msg: Buffer, upstream: Upstream): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      let id = randomInt(0x10000)
      while (this.#pending.has(id)) id = randomInt(0x10000)
      const timer = setTimeout(() => pending.done(undefined), TIMEOUT_MS)
      const pending: Pending = {
        id,
        upstream,
        done: (reply) => {
          clearTimeout(timer)
          this.#pending.delete(id)
          resolve(reply)
        },
      }
      this.#pending.set(id, pending)
      const query = Buffer.from(msg)
      query.writeUInt16BE(id, 0)
      this.#socket(isIP(upstream.address) === 6 ? 6 : 4).send(query, upstream.port, upstream.address, (error) => {
        if (error) pending.done(undefined)
      })
    })
  }
}
