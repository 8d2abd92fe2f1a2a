/**
 * Answers for one registry snapshot: every name of fly-platform.md 2.3–2.4 mapped to the wire
 * bytes of its RRsets, so a query costs one or two hash lookups over its own bytes and a copy. Names are grouped in zones: the
 * zone's own names (apex, `_apps`, `_instances`…) built per snapshot, and one zone per app
 * (every name ends `.<app>.internal`) built on its first query and kept in a bounded cache, so a
 * registry of 10 000 instances costs memory only for the apps being asked about. In a zone all
 * records live in one buffer and a name maps to a row of offsets (no object per name, see
 * dns-names.ts). Owner names are the compression pointer C0 0C (the question name, in the asker's own
 * case). dns-packet encodes TXT, SOA and NS data; everything it would silently corrupt (labels
 * > 63 bytes, names > 255, TXT strings > 255 bytes or RDATA > 64 KiB) is checked here first.
 */
import * as dnsPacket from 'dns-packet'
import {NameIndexBuilder, ownCopy, type NameIndex} from './dns-names.js'
import type {Instance, Snapshot} from './registry.js'

export const TYPE = {A: 1, NS: 2, SOA: 6, TXT: 16, AAAA: 28, OPT: 41, IXFR: 251, AXFR: 252, ANY: 255} as const

const ZONE = 'internal'
/** The zone's wire form: what every in-zone question name ends with (case-folded). */
export const ZONE_WIRE = wireKey(ZONE)

/** An AAAA RR with a pointer owner: 2 + 10 + 16 bytes. */
export const AAAA_RR_BYTES = 28

/** Fields of a name's row in `Zone.rows`: [start, end) of its RRs in `Zone.records`, and counts. */
export const ROW = {aaaaStart: 0, aaaaEnd: 1, aaaaCount: 2, txtStart: 3, txtEnd: 4, txtCount: 5, soaEnd: 6, nsEnd: 7, tooLarge: 8} as const
export const ROW_SIZE = 9

export interface Zone {
  /** Wire-format name (any case) → row number. */
  names: NameIndex
  /** ROW_SIZE int32 per row; an empty range means NODATA for that type. SOA and NS start where
   *  the previous field ends (TXT end, SOA end) and only the apex has them. */
  rows: Int32Array
  /** Every RR of the zone, back to back, each starting with the owner pointer C0 0C. */
  records: Buffer
  /** An app's zone: the row of `<app>.internal` (its started instances, in `top<N>.nearest.of` order); else -1. */
  appRow: number
}

/** Largest answer section we precompute: a TCP message is at most 65 535 bytes. */
export const MAX_ANSWER_BYTES = 65_535 - 12 - 260 - 11

/** "Web.internal" → "\x03web\x08internal\x00", lower-cased; throws on an over-long label or name. */
function wireKey(name: string): string {
  let out = ''
  for (const label of name.toLowerCase().split('.')) {
    if (label === '') continue
    if (label.length > 63) throw new RangeError(`DNS label longer than 63 bytes: ${label}`)
    out += String.fromCharCode(label.length) + label
  }
  if (out.length + 1 > 255) throw new RangeError(`DNS name longer than 255 bytes: ${name}`)
  return out + '\0'
}

/** Splits a TXT value into ≤ 255-byte character-strings of ONE record (clients read records[0]). */
function txtStrings(value: string): Buffer[] {
  const bytes = Buffer.from(value, 'utf8')
  const parts: Buffer[] = []
  for (let at = 0; at < bytes.length; at += 255) parts.push(bytes.subarray(at, at + 255))
  return parts.length > 0 ? parts : [Buffer.alloc(0)]
}

/** One RR owned by the question name: dns-packet encodes it under the root name, we swap in C0 0C. */
function record(answer: dnsPacket.Answer): Buffer {
  const encoded = dnsPacket.encode({type: 'response', answers: [{...answer, name: '.'}]})
  const out = Buffer.allocUnsafe(encoded.length - 13 + 2)
  out.writeUInt16BE(0xc00c, 0)
  encoded.copy(out, 2, 13) // past the 12-byte header and the 1-byte root name
  return out
}

/** dns-packet's AAAA RDATA codec (RDLENGTH + 16 bytes at `offset`); @types/dns-packet omits it. */
const aaaaData = (dnsPacket as unknown as {aaaa: {encode(ip: string, buf: Buffer, offset: number): Buffer}}).aaaa

/** A name's records before encoding: addresses (deduplicated, in order) and TXT values. */
interface Pending {
  ips: Set<string>
  txt: string[]
}

/** Writes one zone at a time; reset() reuses its buffers for the next (finish() copies out). */
class ZoneWriter {
  readonly names = new NameIndexBuilder()
  // Sized for one app of a few instances; doubled as needed.
  #rows: Int32Array = new Int32Array(ROW_SIZE * 64)
  #records = Buffer.allocUnsafe(4096)
  #length = 0
  /** Address list → where its AAAA run starts, so `<app>` and `global.<app>` (and one-instance sets) share bytes. */
  readonly #runs = new Map<string, number>()
  readonly #aaaaHeader: Buffer

  constructor(readonly ttl: number) {
    this.#aaaaHeader = Buffer.from([0xc0, 0x0c, 0, TYPE.AAAA, 0, 1, 0, 0, 0, 0])
    this.#aaaaHeader.writeUInt32BE(ttl, 6)
  }

  /** Adds `name` (relative to `internal.`) with its records; returns its row. */
  add(name: string, pending: Pending): number | undefined {
    let key: string
    try {
      key = wireKey(`${name}.${ZONE}`)
    } catch {
      return undefined // longer than 255 bytes (long metadata under a long app name): not addressable
    }
    const row = this.names.add(key)
    if (this.#rows.length < (row + 1) * ROW_SIZE) this.#rows = grow(this.#rows, this.#rows.length * 2)
    const at = row * ROW_SIZE
    // Checked before encoding: one TXT RR holds at most 65 535 bytes (dns-packet would throw).
    const txtBytes = pending.txt.reduce((n, value) => n + 12 + Math.ceil(Buffer.byteLength(value) * 256 / 255) + 1, 0)
    const rows = this.#rows
    if (pending.ips.size * AAAA_RR_BYTES > MAX_ANSWER_BYTES || txtBytes > MAX_ANSWER_BYTES) rows[at + ROW.tooLarge] = 1
    if (txtBytes > MAX_ANSWER_BYTES) return row // the AAAA run is still written: top<N> can answer from it
    rows[at + ROW.aaaaStart] = this.#aaaa(pending.ips)
    rows[at + ROW.aaaaEnd] = rows[at + ROW.aaaaStart]! + pending.ips.size * AAAA_RR_BYTES
    rows[at + ROW.aaaaCount] = pending.ips.size
    rows[at + ROW.txtStart] = this.#length
    for (const value of pending.txt) this.write(record({type: 'TXT', name: '.', ttl: this.ttl, data: txtStrings(value)}))
    rows[at + ROW.txtEnd] = rows[at + ROW.soaEnd] = rows[at + ROW.nsEnd] = this.#length
    rows[at + ROW.txtCount] = pending.txt.length
    return row
  }

  /** The apex: SOA and NS right after an empty TXT range. */
  apex(soa: Buffer, ns: Buffer): void {
    const row = this.add('', {ips: new Set(), txt: []})!
    this.write(soa)
    this.#rows[row * ROW_SIZE + ROW.soaEnd] = this.#length
    this.write(ns)
    this.#rows[row * ROW_SIZE + ROW.nsEnd] = this.#length
  }

  write(bytes: Buffer): void {
    this.#reserve(bytes.length)
    this.#length += bytes.copy(this.#records, this.#length)
  }

  #reserve(more: number): void {
    if (this.#records.length >= this.#length + more) return
    const bigger = Buffer.allocUnsafe(Math.max(this.#records.length * 2, this.#length + more))
    this.#records.copy(bigger, 0, 0, this.#length)
    this.#records = bigger
  }

  /** Empties the writer, keeping its buffers: building an app's zone then allocates only the copies finish() keeps. */
  reset(): void {
    this.#rows.fill(0, 0, this.names.count * ROW_SIZE) // add() leaves fields at 0 for NODATA
    this.names.reset()
    this.#length = 0
    this.#runs.clear()
  }

  finish(appRow = -1): Zone {
    // Copies shed the slack of doubling: the zone lives as long as its snapshot.
    return {names: this.names.finish(), rows: this.#rows.slice(0, this.names.count * ROW_SIZE), records: ownCopy(this.#records.subarray(0, this.#length)), appRow}
  }

  /** Where the AAAA RRs of `ips` start in the records (written once per distinct list). */
  #aaaa(ips: Set<string>): number {
    if (ips.size === 0) return 0
    const id = ips.size === 1 ? ips.values().next().value! : [...ips].join(' ')
    let start = this.#runs.get(id)
    if (start === undefined) {
      this.#runs.set(id, (start = this.#length))
      for (const ip of ips) {
        this.write(this.#aaaaHeader)
        this.#reserve(18)
        aaaaData.encode(ip, this.#records, this.#length) // RDLENGTH + 16 bytes; the registry checked it is IPv6
        this.#length += 18
      }
    }
    return start
  }
}

function grow(rows: Int32Array, size: number): Int32Array {
  const bigger = new Int32Array(size)
  bigger.set(rows)
  return bigger
}

function groupBy(instances: readonly Instance[], key: (i: Instance) => string): Map<string, Instance[]> {
  const groups = new Map<string, Instance[]>()
  for (const instance of instances) {
    const k = key(instance)
    const list = groups.get(k)
    if (list) list.push(instance)
    else groups.set(k, [instance])
  }
  return groups
}

const METADATA_LABEL = /^[A-Za-z0-9_-]{1,63}$/

const vmsList = (instances: readonly Instance[]): string => instances.map((i) => `${i.id} ${i.region}`).join(',')
const regionList = (instances: readonly Instance[]): string => [...new Set(instances.map((i) => i.region))].join(',')
const instanceList = (instances: readonly Instance[]): string =>
  instances.map((i) => `instance=${i.id},app=${i.app},ip=${i.ip},region=${i.region}`).join(';')
const started = (instances: readonly Instance[]): Instance[] => instances.filter((i) => i.state === 'started')

/** Names of one scope (an app, or the zone's own names), merged before writing: forms can clash. */
class Names {
  readonly #names = new Map<string, Pending>()

  /** Declares a name: an empty non-terminal, or a name whose records may all be filtered out. */
  name(name: string): Pending {
    let entry = this.#names.get(name)
    if (!entry) this.#names.set(name, (entry = {ips: new Set(), txt: []}))
    return entry
  }

  aaaa(name: string, instances: readonly Instance[]): void {
    const ips = this.name(name).ips
    for (const instance of instances) if (instance.state === 'started') ips.add(instance.ip)
  }

  /** An empty value declares the name only (NODATA): `vms.<app>` with nothing started still exists. */
  txt(name: string, value: string): void {
    const entry = this.name(name)
    if (value !== '') entry.txt.push(value)
  }

  /** Adds every name to the zone; returns the row of `wanted`. */
  writeTo(zone: ZoneWriter, wanted?: string): number | undefined {
    let row: number | undefined
    for (const [name, pending] of this.#names) {
      const added = zone.add(name, pending)
      if (name === wanted) row = added
    }
    return row
  }
}

function appNames(app: string, instances: readonly Instance[]): Names {
  const names = new Names()
  const up = started(instances)
  names.aaaa(app, instances)
  names.aaaa(`global.${app}`, instances)
  names.txt(`vms.${app}`, vmsList(up))
  names.txt(`all.vms.${app}`, vmsList(instances))
  names.txt(`regions.${app}`, regionList(up))
  names.txt(`all.regions.${app}`, regionList(instances))
  // Empty non-terminals: they exist (NODATA), so resolvers do not cache the subtree as gone.
  for (const between of ['all', 'vm', 'process', 'of', 'nearest.of', '_metadata', 'kv._metadata']) names.name(`${between}.${app}`)
  for (const [region, list] of groupBy(instances, (i) => i.region)) names.aaaa(`${region}.${app}`, list)
  for (const [group, list] of groupBy(instances, (i) => i.group)) names.aaaa(`${group}.process.${app}`, list)
  for (const instance of instances) {
    names.aaaa(`${instance.id}.vm.${app}`, [instance])
    for (const [key, value] of Object.entries(instance.metadata ?? {})) {
      if (!METADATA_LABEL.test(key) || !METADATA_LABEL.test(value)) continue // not addressable in DNS, as on Fly
      // DNS folds case: "Primary" and "primary" are one name.
      names.name(`${key.toLowerCase()}.kv._metadata.${app}`)
      names.aaaa(`${value.toLowerCase()}.${key.toLowerCase()}.kv._metadata.${app}`, [instance])
    }
  }
  return names
}

/** Per-app zones kept per snapshot: enough for every app of a large workspace, bounded for 10 000. */
export const MAX_CACHED_APPS = 1024

/** Every name Fly's resolver answers for one snapshot (fly-platform.md 2.3–2.4), TTL `ttl`. */
export class SnapshotAnswers {
  /** The zone's own names: the apex (SOA, NS), `_apps`, `_instances`, `all._instances`, `_peer`. */
  readonly global: Zone
  /** The SOA RR for negative answers, without its owner name (the caller points at `internal.`). */
  readonly negativeSoa: Buffer
  /** Apps and their instances, by row of #appLabels. */
  readonly #apps: [string, Instance[]][]
  /** An app's label in wire form (length byte + name) → its row: found from the query's bytes. */
  readonly #appLabels: NameIndex
  /** Row of an app → its zone, oldest first: the first entry goes when the cache is full. */
  readonly #zones = new Map<number, Zone>()
  readonly #writer: ZoneWriter

  constructor(snapshot: Snapshot, readonly ttl = 5) {
    const apps = groupBy(snapshot.instances, (i) => i.app)
    this.#apps = [...apps]
    const labels = new NameIndexBuilder()
    for (const [app] of this.#apps) labels.add(String.fromCharCode(app.length) + app)
    this.#appLabels = labels.finish()
    const zone = new ZoneWriter(ttl)
    const global = new Names()
    global.txt('_apps', [...apps.keys()].join(','))
    global.txt('_instances', instanceList(started(snapshot.instances)))
    global.txt('all._instances', instanceList(snapshot.instances))
    global.name('_peer') // no WireGuard peers locally: the name exists, with no records
    if (!apps.has('all')) global.name('all')
    global.writeTo(zone)
    const soaData = {mname: 'localhost', rname: 'hostmaster.localhost', serial: snapshot.version, refresh: 3600, retry: 600, expire: 86_400, minimum: ttl}
    const soa = record({type: 'SOA', name: '.', ttl, data: soaData})
    zone.apex(soa, record({type: 'NS', name: '.', ttl, data: 'localhost'}))
    this.global = zone.finish()
    this.negativeSoa = soa.subarray(2)
    this.#writer = zone
  }

  /**
   * The zone of the app whose label (length byte first, any case) is bytes [start, end) of
   * `bytes`, built on first use; undefined when the snapshot has no such app.
   */
  app(bytes: Uint8Array, start: number, end: number): Zone | undefined {
    const row = this.#appLabels.find(bytes, start, end)
    if (row < 0) return undefined
    const cached = this.#zones.get(row)
    if (cached) return cached
    const [app, instances] = this.#apps[row]!
    const writer = this.#writer
    writer.reset()
    const zone = writer.finish(appNames(app, instances).writeTo(writer, app) ?? -1)
    if (this.#zones.size >= MAX_CACHED_APPS) this.#zones.delete(this.#zones.keys().next().value!)
    this.#zones.set(row, zone)
    return zone
  }
}
