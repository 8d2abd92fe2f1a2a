import {execFile} from 'node:child_process'
import {createSocket} from 'node:dgram'
import {createRequire} from 'node:module'
import {resolve} from 'node:path'
import {promisify} from 'node:util'
import {Registry, startDnsServer, type DnsServer, type DnsServerOptions, type Instance} from '../../src/network/index.js'
import {repoRoot} from '../helpers/repo.js'

/** The shared DNS harness of the research note (malformed cases), read in place. */
export const benchDir = resolve(repoRoot, '..', 'shared', 'bench', 'dns')
export const malformed = createRequire(import.meta.url)(`${benchDir}/malformed-cases.cjs`) as {
  cases: {name: string; buf: Buffer}[]
  valid: Buffer
  header(o?: {id?: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number}): Buffer
  name(...labels: (string | Buffer)[]): Buffer
  q(name: Buffer, type?: number, klass?: number): Buffer
  OPT(udp?: number, version?: number): Buffer
  cat(...b: Buffer[]): Buffer
}

export const run = promisify(execFile)

const instance = (app: string, id: string, n: number, extra: Partial<Instance> = {}): Instance =>
  ({id, app, group: 'web', region: 'ams', ip: `fdaa:0:1:a7b:1::${n.toString(16)}`, state: 'started', ...extra})

/** shop (web ams, worker sea, a stopped web in sea), shop-db (loopback address), with metadata. */
export function sampleInstances(): Instance[] {
  return [
    instance('shop', '148e21dad76789', 2, {metadata: {role: 'primary'}}),
    instance('shop', '4d89699c030518', 3, {group: 'worker', region: 'sea'}),
    instance('shop', '5e8c1a2b3c4d5e', 4, {region: 'sea', state: 'stopped'}),
    instance('shop-db', '6f0000000000aa', 9, {group: 'app', ip: '::ffff:127.0.0.9'}),
  ]
}

export async function startSample(t: {after(fn: () => unknown): void}, opts: Partial<DnsServerOptions> = {}): Promise<{registry: Registry; server: DnsServer}> {
  const registry = opts.registry ?? new Registry(sampleInstances())
  const server = await startDnsServer({port: 0, ...opts, registry})
  t.after(() => server.close())
  return {registry, server}
}

/** `dig +short`-style lines and the status line of a full dig run. */
export async function dig(server: DnsServer, ...args: string[]): Promise<{status: string; flags: string; short: string[]; text: string}> {
  const {stdout} = await run('dig', [`@${server.address}`, '-p', String(server.port), '+time=2', '+tries=1', '+norecurse', ...args])
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? '?'
  const flags = /;; flags: ([a-z ]*);/.exec(stdout)?.[1] ?? ''
  const answer = /;; ANSWER SECTION:\n([\s\S]*?)\n\n/.exec(stdout)?.[1] ?? ''
  const short = answer.split('\n').filter(Boolean).map((line) => line.split(/\s+/).slice(4).join(' '))
  return {status, flags, short, text: stdout}
}

/** Sends one datagram and waits for one reply (undefined after `waitMs`). */
export function udpExchange(port: number, message: Buffer, waitMs = 1000, host = '127.0.0.1'): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4')
    const timer = setTimeout(() => finish(undefined), waitMs)
    const finish = (reply: Buffer | undefined): void => {
      clearTimeout(timer)
      socket.close()
      resolve(reply)
    }
    socket.on('message', finish)
    socket.send(message, port, host)
  })
}

export const rcodeOf = (reply: Buffer): number => reply.readUInt16BE(2) & 0xf
