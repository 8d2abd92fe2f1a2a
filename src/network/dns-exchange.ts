import {createSocket} from 'node:dgram'
import {connect, isIP} from 'node:net'

// One DNS exchange each way, shared by the client (`flotilla resolve`, the test API), the forwarder
// (TCP; its UDP multiplexes one socket) and the isolated holder's fdaa::3 upstream.

/**
 * One DNS exchange over TCP (RFC 1035 4.2.2: a 2-byte length before each message): sends `msg`,
 * resolves with the first whole reply, or `undefined` on error, close or timeout.
 */
export function tcpExchange(server: {address: string; port: number}, msg: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = connect({host: server.address, port: server.port})
    let received = Buffer.alloc(0)
    const finish = (reply: Buffer | undefined): void => {
      socket.destroy()
      resolve(reply)
    }
    socket.setTimeout(timeoutMs, () => finish(undefined))
    socket.on('error', () => finish(undefined))
    socket.on('close', () => finish(undefined))
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk])
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) finish(received.subarray(2, 2 + received.readUInt16BE(0)))
    })
    const framed = Buffer.allocUnsafe(2 + msg.length)
    framed.writeUInt16BE(msg.length, 0)
    msg.copy(framed, 2)
    socket.write(framed)
  })
}

/** One UDP exchange: the first reply carrying the query's id, or `undefined` on error or timeout. */
export function udpExchange(server: {address: string; port: number}, query: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIP(server.address) === 6 ? 'udp6' : 'udp4')
    let settled = false
    const done = (reply: Buffer | undefined): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.close()
      resolve(reply)
    }
    const timer = setTimeout(() => done(undefined), timeoutMs)
    socket.on('error', () => done(undefined))
    socket.on('message', (reply) => {
      if (reply.length >= 2 && reply.readUInt16BE(0) === query.readUInt16BE(0)) done(reply)
    })
    socket.send(query, server.port, server.address)
  })
}
