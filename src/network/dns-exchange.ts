import {connect} from 'node:net'

/**
 * One DNS exchange over TCP (RFC 1035 4.2.2: a 2-byte length before each message): sends `msg`,
 * resolves with the first whole reply, or `undefined` on error, close or timeout. Shared by the
 * client (`flotilla resolve`, the test API) and the forwarder, which must never throw.
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
