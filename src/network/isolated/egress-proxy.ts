/**
 * Outbound internet for instances, which have no route out of the private network: an HTTP
 * proxy in the holder (HTTP_PROXY / HTTPS_PROXY inside point at it) whose connections to the
 * outside world are opened by `up` on the host and handed over as open sockets. CONNECT carries
 * HTTPS and any other TCP protocol; plain `GET http://…` requests are forwarded too. Addresses
 * of the private network itself are dialled from here, not from the host, which cannot reach them.
 */
import {once} from 'node:events'
import {createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse} from 'node:http'
import {connect, isIPv6, type Socket} from 'node:net'
import type {Duplex} from 'node:stream'

/** Opens a TCP connection from the host; rejects with an error whose message says why not. */
export type Dial = (host: string, port: number) => Promise<Socket>

function isPrivate(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '')
  return isIPv6(bare) && /^fdaa:/i.test(bare)
}

async function open(dial: Dial, host: string, port: number): Promise<Socket> {
  if (!isPrivate(host)) return dial(host, port)
  const socket = connect({host: host.replace(/^\[|\]$/g, ''), port})
  await once(socket, 'connect')
  return socket
}

/** "host:port" of a CONNECT request, IPv6 literals in brackets. */
function parseAuthority(authority: string): {host: string; port: number} | undefined {
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(authority)
  return match ? {host: match[1]!, port: Number(match[2])} : undefined
}

/** Answers a CONNECT on its raw socket (the HTTP server has handed it over). */
function refuse(client: Duplex, status: string, why: string): void {
  client.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(why) + 1}\r\nconnection: close\r\n\r\n${why}\n`)
}

export async function serveEgressProxy(address: string, port: number, dial: Dial): Promise<void> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let url: URL
    try {
      url = new URL(req.url ?? '')
      if (url.protocol !== 'http:') throw new Error('not http')
    } catch {
      return void res.writeHead(400, {'content-type': 'text/plain'}).end('flotilla egress proxy: only absolute http:// URLs and CONNECT are forwarded\n')
    }
    // Hop-by-hop headers stay here; the upstream connection serves this one request.
    const headers: IncomingHttpHeaders = {...req.headers, connection: 'close'}
    for (const hop of ['proxy-connection', 'proxy-authorization', 'keep-alive']) delete headers[hop]
    open(dial, url.hostname, Number(url.port || 80)).then((socket) => {
      const outgoing = request({method: req.method, path: url.pathname + url.search, headers, createConnection: () => socket},
        (answer) => (res.writeHead(answer.statusCode ?? 502, answer.rawHeaders), answer.pipe(res)))
      outgoing.on('error', () => res.destroy())
      req.pipe(outgoing)
    }, (error: Error) => res.writeHead(502, {'content-type': 'text/plain'}).end(`flotilla egress proxy: ${url.host}: ${error.message}\n`))
  })
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    client.on('error', () => client.destroy())
    const target = parseAuthority(req.url ?? '')
    if (!target) return refuse(client, '400 Bad Request', `flotilla egress proxy: CONNECT needs host:port, not ${req.url}`)
    open(dial, target.host, target.port).then((upstream) => {
      upstream.on('error', () => client.destroy())
      client.on('close', () => upstream.destroy())
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      client.pipe(upstream).pipe(client)
      upstream.resume()
    }, (error: Error) => refuse(client, '502 Bad Gateway', `flotilla egress proxy: ${req.url}: ${error.message}`))
  })
  server.listen(port, address)
  await once(server, 'listening')
}
