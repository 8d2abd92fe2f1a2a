/**
 * The host half of the resolver at `fdaa::3`: queries arriving in the holder come here over IPC
 * and go to the session's `.internal` server on the host's loopback, UDP for UDP and TCP for TCP
 * (so answers too big for a datagram still arrive whole). Whatever goes wrong, the asker gets
 * SERVFAIL at once rather than waiting out its timeout.
 */
import {createSocket} from 'node:dgram'
import {isIPv6, connect} from 'node:net'
import type {DnsAddress} from '../network-mode.js'

const TIMEOUT_MS = 3000

export async function queryUpstream(upstream: DnsAddress | undefined, query: Buffer, tcp: boolean): Promise<Buffer> {
  if (!upstream || query.length < 12) return servfail(query)
  try {
    return await (tcp ? queryTcp : queryUdp)(upstream, query)
  } catch {
    return servfail(query)
  }
}

function queryUdp(upstream: DnsAddress, query: Buffer): Promise<Buffer> {
  const socket = createSocket(isIPv6(upstream.address) ? 'udp6' : 'udp4')
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), TIMEOUT_MS)
    socket.on('error', reject)
    socket.on('message', (answer) => {
      if (answer.length >= 2 && answer.readUInt16BE(0) === query.readUInt16BE(0)) (clearTimeout(timer), resolve(answer))
    })
    socket.send(query, upstream.port, upstream.address)
  }).finally(() => socket.close())
}

function queryTcp(upstream: DnsAddress, query: Buffer): Promise<Buffer> {
  const socket = connect({host: upstream.address, port: upstream.port})
  return new Promise<Buffer>((resolve, reject) => {
    socket.setTimeout(TIMEOUT_MS, () => reject(new Error('timeout')))
    socket.on('error', reject)
    socket.on('close', () => reject(new Error('closed before the answer')))
    let buffered = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk])
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) resolve(buffered.subarray(2, 2 + buffered.readUInt16BE(0)))
    })
    const length = Buffer.alloc(2)
    length.writeUInt16BE(query.length)
    socket.end(Buffer.concat([length, query]))
  }).finally(() => socket.destroy())
}

/** SERVFAIL for the query: its header and question, QR and RA set, rcode 2, no records. */
export function servfail(query: Buffer): Buffer {
  const header = Buffer.alloc(12)
  query.copy(header, 0, 0, Math.min(12, query.length))
  const questionEnd = query.length >= 12 && query.readUInt16BE(4) === 1 ? endOfQuestion(query) : undefined
  header[2] = 0x80 | ((header[2] ?? 0) & 0x79) // QR, keep opcode and RD, clear AA and TC
  header[3] = 0x80 | 2 // RA, SERVFAIL
  header.writeUInt16BE(questionEnd === undefined ? 0 : 1, 4)
  header.fill(0, 6, 12)
  return questionEnd === undefined ? header : Buffer.concat([header, query.subarray(12, questionEnd)])
}

function endOfQuestion(query: Buffer): number | undefined {
  let offset = 12
  while (offset < query.length) {
    const length = query[offset] ?? 0
    if (length === 0) return offset + 5 <= query.length ? offset + 5 : undefined // root label, QTYPE, QCLASS
    if (length >= 0xc0) return offset + 6 <= query.length ? offset + 6 : undefined // pointer
    offset += 1 + length
  }
  return undefined
}
