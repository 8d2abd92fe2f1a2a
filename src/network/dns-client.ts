/**
 * A small DNS client for `flotilla resolve` and the test API: one question to one server over UDP
 * (EDNS 1232), retried over TCP when the answer is truncated; answers rendered as `dig +short`.
 */
import * as dnsPacket from 'dns-packet'
import {ExitCode, FlotillaError} from '../errors.js'
import {tcpExchange, udpExchange} from './dns-exchange.js'

export interface DnsRecord {
  name: string
  type: string
  ttl: number
  /** As `dig +short` prints it: an address, quoted TXT strings, SOA fields… */
  data: string
}

export interface DnsResult {
  rcode: string
  /** Truncated over UDP and answered over TCP. */
  tcp: boolean
  answers: DnsRecord[]
  authority: DnsRecord[]
}

const quote = (bytes: Buffer): string => JSON.stringify(bytes.toString('utf8'))

/** dns-packet prints ::ffff:7f00:1; dig (and Node) print the IPv4-mapped form ::ffff:127.0.0.1. */
function mapped(address: string): string {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address)
  if (!m) return address
  const [high, low] = [parseInt(m[1]!, 16), parseInt(m[2]!, 16)]
  return `::ffff:${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`
}

function render(answer: dnsPacket.Answer): DnsRecord {
  const {data} = answer as {data: unknown}
  let text: string
  if (answer.type === 'TXT') text = (Array.isArray(data) ? (data as Buffer[]) : [data as Buffer]).map(quote).join(' ')
  else if (answer.type === 'SOA') {
    const soa = data as dnsPacket.SoaData
    text = `${soa.mname}. ${soa.rname}. ${soa.serial} ${soa.refresh} ${soa.retry} ${soa.expire} ${soa.minimum}`
  } else if (answer.type === 'NS' || answer.type === 'CNAME' || answer.type === 'PTR') text = `${String(data)}.`
  else if (answer.type === 'AAAA') text = mapped(String(data))
  else text = Buffer.isBuffer(data) ? data.toString('hex') : typeof data === 'string' ? data : JSON.stringify(data)
  return {name: answer.name, type: answer.type, ttl: (answer as {ttl?: number}).ttl ?? 0, data: text}
}

async function exchange(server: {address: string; port: number}, query: Buffer, tcp: boolean, timeoutMs: number): Promise<Buffer> {
  const reply = await (tcp ? tcpExchange(server, query, timeoutMs) : udpExchange(server, query, timeoutMs))
  if (reply) return reply
  throw new FlotillaError('E_DNS_NO_ANSWER', `no answer from ${server.address} port ${server.port} (${tcp ? 'tcp' : 'udp'})`, ExitCode.runtime)
}

/** Asks `server` for `name` `type`; throws E_DNS_NO_ANSWER when the server does not answer. */
export async function queryDns(server: {address: string; port: number}, name: string, type = 'AAAA', timeoutMs = 2000): Promise<DnsResult> {
  const query = dnsPacket.encode({
    type: 'query',
    id: Math.floor(Math.random() * 0x10000),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{name, type: type.toUpperCase() as dnsPacket.RecordType}],
    additionals: [{type: 'OPT', name: '.', udpPayloadSize: 1232} as unknown as dnsPacket.Answer],
  })
  let reply = dnsPacket.decode(await exchange(server, query, false, timeoutMs))
  const tcp = Boolean((reply.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE)
  if (tcp) reply = dnsPacket.decode(await exchange(server, query, true, timeoutMs))
  return {
    rcode: (reply as {rcode?: string}).rcode ?? 'NOERROR',
    tcp,
    answers: (reply.answers ?? []).map(render),
    authority: (reply.authorities ?? []).map(render),
  }
}
