/**
 * Precomputed answers for one registry snapshot: every name of fly-platform.md 2.3–2.4 mapped to
 * the wire bytes of its RRsets, so a query costs one Map lookup and a copy. Owner names are the
 * compression pointer C0 0C (the question name, in the asker's own case). dns-packet encodes the
 * RDATA; everything it would silently corrupt (labels > 63 bytes, names > 255, TXT strings
 * > 255 bytes, bad addresses) is checked here first.
 */
import * as dnsPacket from 'dns-packet'
import type {Instance, Snapshot} from './registry.js'

export const TYPE = {A: 1, NS: 2, SOA: 6, TXT: 16, AAAA: 28, OPT: 41, IXFR: 251, AXFR: 252, ANY: 255} as const

export const ZONE = 'internal'
/** The zone's wire form: what every in-zone question name ends with (case-folded). */
export const ZONE_WIRE = wireKey(ZONE)

/** Whole RRs, each starting with the owner pointer C0 0C. */
export interface RRSet {
  count: number
  bytes: Buffer
}

/** A name that exists; a missing RRset means NODATA for that type. */
export interface NameEntry {
  aaaa?: RRSet
  txt?: RRSet
  soa?: RRSet
  ns?: RRSet
  /** The answer would not fit in a 64 KiB TCP message: answered SERVFAIL. */
  tooLarge?: true
}

export interface Zone {
  /** Lower-case wire form of the name ("\x03web\x08internal\x00") → entry. */
  names: Map<string, NameEntry>
  /** App → its started instances' AAAA RRs, in `top<N>.nearest.of` order. */
  nearest: Map<string, RRSet>
  /** The SOA RR for negative answers, without its owner name (the caller points at `internal.`). */
  negativeSoa: Buffer
}

/** Largest answer section we precompute: a TCP message is at most 65 535 bytes. */
const MAX_ANSWER_BYTES = 65_535 - 12 - 260 - 11

/** "Web.internal" → "\x03web\x08internal\x00", lower-cased; throws on an over-long label or name. */
export function wireKey(name: string): string {
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
export function txtStrings(value: string): Buffer[] {
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

function rrset(records: Buffer[]): RRSet {
  return {count: records.length, bytes: records.length === 1 ? records[0]! : Buffer.concat(records)}
}

/** Names and their records, gathered before encoding so that clashing forms merge. */
class ZoneBuilder {
  readonly #names = new Map<string, {aaaa: Set<string>; txt: string[]}>()

  /** Declares a name (an empty non-terminal, or a name whose records may all be filtered out). */
  name(name: string): {aaaa: Set<string>; txt: string[]} {
    let entry = this.#names.get(name)
    if (!entry) this.#names.set(name, (entry = {aaaa: new Set(), txt: []}))
    return entry
  }

  aaaa(name: string, instances: readonly Instance[]): void {
    const set = this.name(name).aaaa
    for (const instance of instances) if (instance.state === 'started') set.add(instance.ip)
  }

  /** An empty value declares the name only (NODATA): `vms.<app>` with nothing started still exists. */
  txt(name: string, value: string): void {
    const entry = this.name(name)
    if (value !== '') entry.txt.push(value)
  }

  build(ttl: number, serial: number): Zone {
    const names = new Map<string, NameEntry>()
    const address = new Map<string, Buffer>()
    const aaaaRR = (ip: string): Buffer => {
      let bytes = address.get(ip)
      if (!bytes) address.set(ip, (bytes = record({type: 'AAAA', name: '.', ttl, data: ip})))
      return bytes
    }
    for (const [name, {aaaa, txt}] of this.#names) {
      let key: string
      try {
        key = wireKey(`${name}.${ZONE}`)
      } catch {
        continue // longer than 255 bytes (long metadata under a long app name): not addressable
      }
      const entry: NameEntry = {}
      if (aaaa.size > 0) entry.aaaa = rrset([...aaaa].map(aaaaRR))
      if (txt.length > 0) entry.txt = rrset(txt.map((value) => record({type: 'TXT', name: '.', ttl, data: txtStrings(value)})))
      if ((entry.aaaa?.bytes.length ?? 0) > MAX_ANSWER_BYTES || (entry.txt?.bytes.length ?? 0) > MAX_ANSWER_BYTES) entry.tooLarge = true
      names.set(key, entry)
    }
    const soaData = {mname: 'localhost', rname: 'hostmaster.localhost', serial, refresh: 3600, retry: 600, expire: 86_400, minimum: ttl}
    const soa = record({type: 'SOA', name: '.', ttl, data: soaData})
    names.set(ZONE_WIRE, {soa: rrset([soa]), ns: rrset([record({type: 'NS', name: '.', ttl, data: 'localhost'})])})
    return {names, nearest: new Map(), negativeSoa: soa.subarray(2)}
  }
}

function groupBy<K>(instances: readonly Instance[], key: (i: Instance) => K): Map<K, Instance[]> {
  const groups = new Map<K, Instance[]>()
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

/** Every name Fly's resolver answers for this snapshot (fly-platform.md 2.3–2.4), TTL `ttl`. */
export function buildZone(snapshot: Snapshot, ttl = 5): Zone {
  const zone = new ZoneBuilder()
  const apps = groupBy(snapshot.instances, (i) => i.app)
  for (const [app, instances] of apps) {
    const up = started(instances)
    zone.aaaa(app, instances)
    zone.aaaa(`global.${app}`, instances)
    zone.txt(`vms.${app}`, vmsList(up))
    zone.txt(`all.vms.${app}`, vmsList(instances))
    zone.txt(`regions.${app}`, regionList(up))
    zone.txt(`all.regions.${app}`, regionList(instances))
    // Empty non-terminals: they exist (NODATA), so resolvers do not cache the subtree as gone.
    for (const between of ['all', 'vm', 'process', 'of', 'nearest.of', '_metadata', 'kv._metadata']) zone.name(`${between}.${app}`)
    for (const [region, list] of groupBy(instances, (i) => i.region)) zone.aaaa(`${region}.${app}`, list)
    for (const [group, list] of groupBy(instances, (i) => i.group)) zone.aaaa(`${group}.process.${app}`, list)
    for (const instance of instances) {
      zone.aaaa(`${instance.id}.vm.${app}`, [instance])
      for (const [key, value] of Object.entries(instance.metadata ?? {})) {
        if (!METADATA_LABEL.test(key) || !METADATA_LABEL.test(value)) continue // not addressable in DNS, as on Fly
        zone.name(`${key}.kv._metadata.${app}`)
        zone.aaaa(`${value}.${key}.kv._metadata.${app}`, [instance])
      }
    }
  }
  zone.txt('_apps', [...apps.keys()].join(','))
  zone.txt('_instances', instanceList(started(snapshot.instances)))
  zone.txt('all._instances', instanceList(snapshot.instances))
  zone.name('all')
  zone.name('_peer') // no WireGuard peers locally: the name exists, with no records
  const built = zone.build(ttl, snapshot.version)
  for (const app of apps.keys()) {
    const aaaa = built.names.get(wireKey(`${app}.${ZONE}`))?.aaaa
    if (aaaa) built.nearest.set(app, aaaa)
  }
  return built
}
