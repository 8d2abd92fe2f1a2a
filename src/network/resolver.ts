/**
 * Node-side resolution of `.internal` names through a flotilla DNS server, without root: a
 * `dns.lookup`-compatible function (used by the preload, register.ts, and by the undici
 * dispatcher) and the environment that installs the preload in a child process. Only node:dns is
 * loaded here (c-ares, off the libuv thread pool), so the preload costs child processes nothing.
 */
import dns, {type LookupAddress, type LookupOptions} from 'node:dns'
import {isIP} from 'node:net'

/** "127.0.0.1:PORT" or "[::1]:PORT": the server the preload asks. */
export const ENV_DNS = 'FLOTILLA_DNS'
/** The instance's own address, which `fly-local-6pn` resolves to (as /etc/hosts does on Fly). */
export const ENV_LOCAL_6PN = 'FLOTILLA_LOCAL_6PN'

export function formatHostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`
}

/** Names the preload answers: `internal` and below, and `fly-local-6pn`; the rest go to the OS. */
export function isInternalName(host: unknown): host is string {
  if (typeof host !== 'string') return false
  const name = host.endsWith('.') ? host.slice(0, -1).toLowerCase() : host.toLowerCase()
  return name === 'internal' || name.endsWith('.internal') || name === 'fly-local-6pn'
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void
export type Lookup = (hostname: string, options: LookupOptions | number | LookupCallback, callback?: LookupCallback) => void

export interface InternalLookup {
  /** Drop-in for `dns.lookup` (callbacks, `{all}`, `family`, `hints`, `order`/`verbatim`). */
  lookup: Lookup
  /** Drop-in for `dns.promises.lookup`. */
  lookupAsync(hostname: string, options?: LookupOptions | number): Promise<LookupAddress | LookupAddress[]>
}

function notFound(hostname: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException & {hostname?: string} = new Error(`getaddrinfo ENOTFOUND ${hostname}`)
  Object.assign(error, {code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname})
  return error
}

/**
 * Resolves through the server at `server` ("HOST:PORT"); names it does not know (NXDOMAIN) and
 * every non-internal name go to `fallback`, so `metadata.google.internal` and friends keep working.
 */
export function createInternalLookup(opts: {server: string; local6pn?: string | undefined; fallback: Lookup}): InternalLookup {
  const resolver = new dns.promises.Resolver({timeout: 1000, tries: 2})
  resolver.setServers([opts.server])
  const family = (options: LookupOptions): number => {
    const f: unknown = options.family
    return f === 'IPv4' ? 4 : f === 'IPv6' ? 6 : Number(f ?? 0)
  }
  // NODATA or NXDOMAIN for one family is an empty list, not a failure of the whole lookup.
  const ask = (query: Promise<string[]>): Promise<string[] | 'nxdomain'> =>
    query.catch((error: NodeJS.ErrnoException) => (error.code === dns.NOTFOUND ? 'nxdomain' : error.code === dns.NODATA ? [] : Promise.reject(error)))
  const resolve = async (hostname: string, options: LookupOptions): Promise<LookupAddress[] | undefined> => {
    const wanted = family(options)
    if (hostname.toLowerCase() === 'fly-local-6pn') {
      const local = opts.local6pn
      if (local === undefined || isIP(local) === 0) return undefined // /etc/hosts may know it (on a Machine it does)
      return wanted === 0 || wanted === isIP(local) ? [{address: local, family: isIP(local)}] : []
    }
    const [v6, v4] = await Promise.all([
      wanted === 4 ? [] : ask(resolver.resolve6(hostname)),
      wanted === 6 ? [] : ask(resolver.resolve4(hostname)),
    ])
    if (v6 === 'nxdomain' && (v4 === 'nxdomain' || wanted === 6)) return undefined
    if (v4 === 'nxdomain' && wanted === 4) return undefined
    const six = v6 === 'nxdomain' ? [] : v6.map((address) => ({address, family: 6}))
    let four = v4 === 'nxdomain' ? [] : v4.map((address) => ({address, family: 4}))
    // hints V4MAPPED: an IPv6 lookup with no AAAA gets the IPv4 answers as ::ffff:a.b.c.d
    if (wanted === 6 && six.length === 0 && ((options.hints ?? 0) & dns.V4MAPPED)) four = four.map(({address}) => ({address: `::ffff:${address}`, family: 6}))
    const order = (options as {order?: string}).order ?? (options.verbatim === false ? 'ipv4first' : options.verbatim === true ? 'verbatim' : dns.getDefaultResultOrder())
    return order === 'ipv4first' ? [...four, ...six] : [...six, ...four]
  }
  const lookup: Lookup = (hostname, options, callback) => {
    const cb = (typeof options === 'function' ? options : callback)!
    const lookupOptions: LookupOptions = typeof options === 'function' ? {} : typeof options === 'number' ? {family: options} : (options ?? {})
    resolve(hostname, lookupOptions).then(
      (found) => {
        if (found === undefined) return opts.fallback(hostname, lookupOptions, cb)
        if (found.length === 0) return cb(notFound(hostname), lookupOptions.all ? [] : '')
        if (lookupOptions.all) cb(null, found)
        else cb(null, found[0]!.address, found[0]!.family)
      },
      (error: NodeJS.ErrnoException) => cb(error, lookupOptions.all ? [] : ''),
    )
  }
  const lookupAsync: InternalLookup['lookupAsync'] = (hostname, options = {}) => new Promise((resolve, reject) => {
    lookup(hostname, options, (error, address, family) => {
      if (error) reject(error)
      else resolve(typeof address === 'string' ? {address, family: family!} : address)
    })
  })
  return {lookup, lookupAsync}
}

/** The register.ts preload beside this file (a .ts source under tsx runs through tsx's loader). */
function preloadImports(): string[] {
  const self = import.meta.url
  const preload = new URL(`./register${self.slice(self.lastIndexOf('.'))}`, self).href
  return self.endsWith('.ts') ? [import.meta.resolve('tsx/esm'), preload] : [preload]
}

/**
 * Environment for a child process whose Node code must resolve `.internal` through `server`:
 * FLOTILLA_DNS, NODE_OPTIONS (the preload appended to the current NODE_OPTIONS), and with `self`
 * FLOTILLA_LOCAL_6PN. Non-Node children should point their resolver at the server instead.
 */
export function registerEnv(server: {address: string; port: number}, self?: {ip: string}): Record<string, string> {
  const existing = process.env.NODE_OPTIONS ?? ''
  const imports = preloadImports().filter((url) => !existing.includes(url))
  const env: Record<string, string> = {
    [ENV_DNS]: formatHostPort(server.address, server.port),
    NODE_OPTIONS: [existing, ...imports.map((url) => `--import ${url}`)].filter(Boolean).join(' '),
  }
  if (self) env[ENV_LOCAL_6PN] = self.ip
  return env
}
