/**
 * The host half of the resolver at `fdaa::3`: queries arriving in the holder come here over IPC
 * and go to the session's `.internal` server on the host's loopback, UDP for UDP and TCP for TCP
 * (so answers too big for a datagram still arrive whole). Whatever goes wrong, the asker gets
 * SERVFAIL at once rather than waiting out its timeout.
 */
import {tcpExchange, udpExchange} from '../dns-exchange.js'
import type {DnsAddress} from '../network-mode.js'

const TIMEOUT_MS = 3000

export async function queryUpstream(upstream: DnsAddress | undefined, query: Buffer, tcp: boolean): Promise<Buffer> {
  if (!upstream || query.length < 12) return servfail(query)
  const answer = await (tcp ? tcpExchange : udpExchange)(upstream, query, TIMEOUT_MS).catch(() => undefined)
  return answer ?? servfail(query)
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
