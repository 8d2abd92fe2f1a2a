/**
 * One DNS message in, one out (or nothing). The question is read straight off the wire and the
 * answer spliced from the snapshot's prebuilt bytes: no general decode/encode per query, which
 * is what keeps the server near dnsmasq's speed (dns-registry.md §3). Every rule of
 * dns-registry.md §4.1 lives here: drop responses and runt packets, FORMERR/NOTIMP/REFUSED/BADVERS,
 * NXDOMAIN vs NODATA with the SOA, question echoed byte for byte (0x20), EDNS(0), TC over UDP.
 */
import {AAAA_RR_BYTES, MAX_ANSWER_BYTES, ROW, ROW_SIZE, SnapshotAnswers, TYPE, ZONE_WIRE, type Zone} from './dns-answers.js'
import type {Registry, Snapshot} from './registry.js'

export const RCODE = {NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16} as const

/** Returned for an out-of-zone question when forwarding is on: the caller relays the raw query. */
export const FORWARD = Symbol('forward')

/** Our EDNS(0) UDP payload size (DNS Flag Day 2020). */
const EDNS_UDP_SIZE = 1232
const QR = 0x8000
const AA = 0x0400
const TC = 0x0200
const RA = 0x0080
const ECHOED_FLAGS = 0x7910 // opcode, RD and CD are copied from the query
/** "top" as a 24-bit big-endian number, for the first label of `top<N>.nearest.of…`. */
const TOP = 0x746f70
const NO_LIMIT = 0xffff

/** A run of answer RRs: `count` records in source[start, end). */
interface Answer {
  source: Buffer
  start: number
  end: number
  count: number
}

interface Question {
  /** Offset just past the name's terminating zero. */
  nameEnd: number
  /** Offset just past QCLASS. */
  end: number
  qtype: number
  qclass: number
  /** Offset of the name's last label (-1 for the root name). */
  lastLabel: number
  /** Offset of the label before the last one, the app of an app's name (-1 for fewer labels). */
  appLabel: number
  /** The client's EDNS UDP size, or 0 when it sent no OPT. */
  ednsSize: number
  ednsVersion: number
}

/** Answers queries from the registry's current snapshot; its answers are rebuilt once per snapshot. */
export class QueryHandler {
  readonly #registry: Registry
  readonly #forward: boolean
  readonly #ttl: number
  #snapshot: Snapshot | undefined
  #answers: SnapshotAnswers | undefined
  /** Reused for every answer: the hot path allocates only the reply buffer. */
  readonly #answer: Answer = {source: Buffer.alloc(0), start: 0, end: 0, count: 0}

  constructor(registry: Registry, opts: {forward: boolean; ttl?: number}) {
    this.#registry = registry
    this.#forward = opts.forward
    this.#ttl = opts.ttl ?? 5
  }

  /** The answers for the registry's current snapshot (set up on the first query after a change). */
  answers(): SnapshotAnswers {
    const snapshot = this.#registry.snapshot
    if (snapshot !== this.#snapshot || !this.#answers) {
      this.#answers = new SnapshotAnswers(snapshot, this.#ttl)
      this.#snapshot = snapshot
    }
    return this.#answers
  }

  /** The reply to `msg`, `undefined` to stay silent, or FORWARD for the upstream resolver. */
  answer(msg: Buffer, tcp: boolean): Buffer | undefined | typeof FORWARD {
    if (msg.length < 12) return undefined // not even a header: nothing to reply to
    const flags = msg.readUInt16BE(2)
    if (flags & QR) return undefined // never answer a response (no reflection loops)
    if ((flags & 0x7800) !== 0) return this.#bare(msg, flags, RCODE.NOTIMP)
    const q = parseQuestion(msg)
    if (q === undefined) return this.#bare(msg, flags, RCODE.FORMERR)
    if (q.ednsSize > 0 && q.ednsVersion !== 0) return this.#reply(msg, q, flags, RCODE.BADVERS, 0, undefined, false, tcp)
    if (q.qclass !== 1 && q.qclass !== 255) return this.#reply(msg, q, flags, RCODE.REFUSED, 0, undefined, false, tcp)
    if (!inZone(msg, q)) {
      return this.#forward ? FORWARD : this.#reply(msg, q, flags, RCODE.REFUSED, 0, undefined, false, tcp)
    }
    if (q.qtype === TYPE.AXFR || q.qtype === TYPE.IXFR) return this.#reply(msg, q, flags, RCODE.REFUSED, 0, undefined, false, tcp)
    const answers = this.answers()
    let zone: Zone | undefined = answers.global
    let row: number | undefined = zone.names.find(msg, 12, q.nameEnd)
    let top = NO_LIMIT
    if (row < 0) {
      // Every other name ends `.<app>.internal`: the app's zone has it, if anything does.
      zone = q.appLabel < 0 ? undefined : answers.app(msg, q.appLabel, q.lastLabel)
      row = zone?.names.find(msg, 12, q.nameEnd) ?? -1
      if (row < 0) [row, top] = (zone && nearest(zone, msg, q.nameEnd)) ?? [undefined, top]
    }
    if (row === undefined || zone === undefined) return this.#reply(msg, q, flags, RCODE.NXDOMAIN, AA, undefined, true, tcp)
    const partial = top !== NO_LIMIT && q.qtype === TYPE.AAAA && top * AAAA_RR_BYTES <= MAX_ANSWER_BYTES // top<N> of a huge app can fit
    if (zone.rows[row * ROW_SIZE + ROW.tooLarge] && !partial) return this.#reply(msg, q, flags, RCODE.SERVFAIL, 0, undefined, false, tcp)
    const found = this.#select(zone, row, q.qtype, top)
    return this.#reply(msg, q, flags, RCODE.NOERROR, AA, found, found === undefined, tcp)
  }

  /** The answer RRs of `row` for `qtype` (at most `top` AAAA), in the reused #answer, or undefined. */
  #select(zone: Zone, row: number, qtype: number, top: number): Answer | undefined {
    const r = zone.rows
    const at = row * ROW_SIZE
    const answer = this.#answer
    answer.source = zone.records
    switch (qtype) {
      case TYPE.AAAA:
        answer.count = Math.min(r[at + ROW.aaaaCount]!, top)
        answer.start = r[at + ROW.aaaaStart]!
        answer.end = answer.start + answer.count * AAAA_RR_BYTES
        break
      case TYPE.TXT:
        [answer.start, answer.end, answer.count] = [r[at + ROW.txtStart]!, r[at + ROW.txtEnd]!, r[at + ROW.txtCount]!]
        break
      case TYPE.SOA:
        [answer.start, answer.end, answer.count] = [r[at + ROW.txtEnd]!, r[at + ROW.soaEnd]!, 1]
        break
      case TYPE.NS:
        [answer.start, answer.end, answer.count] = [r[at + ROW.soaEnd]!, r[at + ROW.nsEnd]!, 1]
        break
      case TYPE.ANY: { // RFC 8482 allows less; we hold little, so send all of it
        const parts: Answer[] = []
        for (const type of [TYPE.AAAA, TYPE.TXT, TYPE.SOA, TYPE.NS]) {
          const part = this.#select(zone, row, type, top) // reuses #answer: copy it out at once
          if (part) parts.push({...part})
        }
        answer.source = Buffer.concat(parts.map((p) => p.source.subarray(p.start, p.end)))
        ;[answer.start, answer.end, answer.count] = [0, answer.source.length, parts.reduce((n, p) => n + p.count, 0)]
        break
      }
      default:
        return undefined
    }
    return answer.end > answer.start ? answer : undefined
  }

  /** A header-only error reply to `msg` (SERVFAIL when the upstream resolver does not answer). */
  fail(msg: Buffer, rcode: number): Buffer {
    return this.#bare(msg, msg.readUInt16BE(2), rcode)
  }

  /** Header-only reply for messages whose question we cannot (or need not) echo. */
  #bare(msg: Buffer, flags: number, rcode: number): Buffer {
    const out = Buffer.alloc(12)
    msg.copy(out, 0, 0, 2)
    out.writeUInt16BE(QR | (flags & ECHOED_FLAGS) | (this.#forward ? RA : 0) | rcode, 2)
    return out
  }

  #reply(msg: Buffer, q: Question, flags: number, rcode: number, aa: number, rrs: Answer | undefined, soa: boolean, tcp: boolean): Buffer {
    const negativeSoa = soa ? this.answers().negativeSoa : undefined
    const questionBytes = q.end - 12
    let answerBytes = rrs === undefined ? 0 : rrs.end - rrs.start
    let authorityBytes = negativeSoa ? 2 + negativeSoa.length : 0
    const optBytes = q.ednsSize > 0 ? 11 : 0
    const limit = tcp ? 65_535 : q.ednsSize > 0 ? Math.min(Math.max(512, q.ednsSize), EDNS_UDP_SIZE) : 512
    let truncated = 0
    if (12 + questionBytes + answerBytes + authorityBytes + optBytes > limit) {
      truncated = TC // the client retries over TCP (RFC 1035 §4.2.1, RFC 7766)
      answerBytes = 0
      authorityBytes = 0
    }
    const out = Buffer.allocUnsafe(12 + questionBytes + answerBytes + authorityBytes + optBytes)
    msg.copy(out, 0, 0, 2)
    out.writeUInt16BE(QR | (flags & ECHOED_FLAGS) | aa | truncated | (this.#forward ? RA : 0) | (rcode & 0xf), 2)
    out.writeUInt16BE(1, 4)
    out.writeUInt16BE(answerBytes > 0 ? rrs!.count : 0, 6)
    out.writeUInt16BE(authorityBytes > 0 ? 1 : 0, 8)
    out.writeUInt16BE(optBytes > 0 ? 1 : 0, 10)
    msg.copy(out, 12, 12, q.end) // the question exactly as asked, case included
    let at = q.end
    if (answerBytes > 0) at += rrs!.source.copy(out, at, rrs!.start, rrs!.end)
    if (authorityBytes > 0) {
      out.writeUInt16BE(0xc000 | q.lastLabel, at) // owner `internal.`: the question's last label
      at += 2 + negativeSoa!.copy(out, at + 2)
    }
    if (optBytes > 0) {
      out[at] = 0 // root owner
      out.writeUInt16BE(TYPE.OPT, at + 1)
      out.writeUInt16BE(EDNS_UDP_SIZE, at + 3)
      out.writeUInt32BE((rcode >> 4) << 24, at + 5) // extended rcode, version 0, no flags
      out.writeUInt16BE(0, at + 9)
    }
    return out
  }
}

/**
 * Reads the question and any OPT record; `undefined` means FORMERR: QDCOUNT ≠ 1, a name that runs
 * past the end, is longer than 255 bytes or uses compression/extended labels, a record that
 * overruns the message, an OPT outside the additional section or twice, options overrunning it.
 */
function parseQuestion(msg: Buffer): Question | undefined {
  if (msg.readUInt16BE(4) !== 1) return undefined
  const length = msg.length
  let at = 12
  let lastLabel = -1
  let appLabel = -1
  for (;;) {
    if (at >= length) return undefined
    const label = msg[at]!
    if (label === 0) break
    if (label > 63) return undefined
    appLabel = lastLabel
    lastLabel = at
    at += label + 1
  }
  const nameEnd = at + 1
  if (nameEnd - 12 > 255 || nameEnd + 4 > length) return undefined
  const q: Question = {nameEnd, end: nameEnd + 4, qtype: msg.readUInt16BE(nameEnd), qclass: msg.readUInt16BE(nameEnd + 2), lastLabel, appLabel, ednsSize: 0, ednsVersion: 0}
  const answers = msg.readUInt16BE(6) + msg.readUInt16BE(8)
  const records = answers + msg.readUInt16BE(10)
  at = q.end
  for (let n = 0; n < records; n++) {
    const owner = at
    for (;;) { // skip the owner name; a pointer ends it
      if (at >= length) return undefined
      const label = msg[at]!
      if (label === 0) { at += 1; break }
      if (label >= 0xc0) { at += 2; break }
      if (label > 63) return undefined
      at += label + 1
    }
    if (at + 10 > length) return undefined
    const rdEnd = at + 10 + msg.readUInt16BE(at + 8)
    if (rdEnd > length) return undefined
    if (msg.readUInt16BE(at) === TYPE.OPT) {
      if (n < answers || q.ednsSize > 0 || msg[owner] !== 0) return undefined
      q.ednsSize = Math.max(1, msg.readUInt16BE(at + 2))
      q.ednsVersion = msg[at + 5]!
      for (let option = at + 10; option < rdEnd;) {
        if (option + 4 > rdEnd) return undefined
        option += 4 + msg.readUInt16BE(option + 2)
        if (option > rdEnd) return undefined
      }
    }
    at = rdEnd
  }
  return q
}

/** True when the name's last label is `internal` (any case). */
function inZone(msg: Buffer, q: Question): boolean {
  if (q.lastLabel < 0 || q.nameEnd - q.lastLabel !== ZONE_WIRE.length) return false
  for (let i = 0; i < ZONE_WIRE.length; i++) {
    const byte = msg[q.lastLabel + i]!
    if ((byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte) !== ZONE_WIRE.charCodeAt(i)) return false
  }
  return true
}

/** `top<N>.nearest.of.<app>.internal` in the app's zone → [row of the app, N]: locally every instance is equally near. */
function nearest(zone: Zone, msg: Buffer, nameEnd: number): [number, number] | undefined {
  if (msg[12]! < 4 || msg[12]! > 7 || (msg.readUIntBE(13, 3) | 0x202020) !== TOP) return undefined // not top<N>: no string work
  const key = msg.toString('latin1', 12, nameEnd).toLowerCase()
  const labels: string[] = []
  for (let at = 0; key.charCodeAt(at) !== 0; at += key.charCodeAt(at) + 1) labels.push(key.slice(at + 1, at + 1 + key.charCodeAt(at)))
  const [top, near, of] = labels
  if (labels.length !== 5 || near !== 'nearest' || of !== 'of' || !/^top[1-9]\d{0,3}$/.test(top!) || zone.appRow < 0) return undefined
  return [zone.appRow, Number(top!.slice(3))]
}
