/**
 * TCP listeners of a network namespace, read from /proc/<pid>/net/tcp{,6} of a process inside
 * it, and the warning for the most common 6PN mistake (fly-platform.md 4.1): a server bound to
 * IPv4 only is unreachable over `.internal`, which is IPv6.
 */
import {readFile} from 'node:fs/promises'
import {endianness} from 'node:os'

export interface Listener {
  address: string
  port: number
}

const LISTEN = '0A'

/** Parses the text of /proc/net/tcp or /proc/net/tcp6 into its listening sockets. */
export function parseProcNetTcp(text: string): Listener[] {
  const listeners: Listener[] = []
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/)
    const [hex, port] = fields[1]?.split(':') ?? []
    if (!hex || !port || fields[3] !== LISTEN) continue
    listeners.push({address: hex.length === 8 ? ipv4FromHex(hex) : ipv6FromHex(hex), port: Number.parseInt(port, 16)})
  }
  return listeners
}

export async function readListeners(pid: number): Promise<Listener[]> {
  const tables = await Promise.all(['tcp', 'tcp6'].map((file) => readFile(`/proc/${pid}/net/${file}`, 'utf8')))
  return tables.flatMap(parseProcNetTcp)
}

/**
 * The warning `up` prints when APP's service port has IPv4 listeners and no IPv6 one, or
 * undefined when nothing listens on the port yet or an IPv6 listener is there.
 */
export function ipv4OnlyWarning(app: string, listeners: readonly Listener[], port: number): string | undefined {
  const onPort = listeners.filter((l) => l.port === port)
  if (onPort.length === 0 || onPort.some((l) => l.address.includes(':') && !l.address.startsWith('::ffff:'))) return undefined
  const bound = onPort.map((l) => `${l.address}:${port}`).join(', ')
  return `${app} listens on ${bound} only; .internal traffic is IPv6: bind [::]:${port} or fly-local-6pn:${port}`
}

// The kernel prints each 32-bit word of the address as a number in host byte order.
const littleEndian = endianness() === 'LE'
function words(hex: string): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < hex.length; i += 8) {
    const word = Buffer.from(hex.slice(i, i + 8), 'hex')
    out.push(littleEndian ? word.reverse() : word)
  }
  return out
}

function ipv4FromHex(hex: string): string {
  return [...(words(hex)[0] ?? [])].join('.')
}

function ipv6FromHex(hex: string): string {
  const bytes = Buffer.concat(words(hex))
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes.readUInt16BE(10) === 0xffff) {
    return `::ffff:${[...bytes.subarray(12)].join('.')}`
  }
  const groups = Array.from({length: 8}, (_, i) => bytes.readUInt16BE(i * 2).toString(16))
  // RFC 5952: compress the longest run of zero groups (first one on a tie).
  let best = {start: -1, length: 0}
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > best.length && j - i > 1) best = {start: i, length: j - i}
    i = j === i ? i + 1 : j
  }
  if (best.start < 0) return groups.join(':')
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.length).join(':')}`
}
