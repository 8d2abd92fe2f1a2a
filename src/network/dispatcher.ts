/**
 * An undici Dispatcher whose connections resolve `.internal` names through a flotilla DNS server,
 * for code that passes its own dispatcher (`undici.request(url, {dispatcher})`, `fetch` from
 * undici). Everything else resolves as usual.
 */
import dns from 'node:dns'
import {Agent} from 'undici'
import {createInternalLookup, formatHostPort, isInternalName, type Lookup} from './resolver.js'

export function internalDispatcher(server: {address: string; port: number}, options: Agent.Options = {}): Agent {
  const fallback = dns.lookup as Lookup
  const internal = createInternalLookup({server: formatHostPort(server.address, server.port), fallback})
  const lookup: Lookup = (hostname, opts, callback) => (isInternalName(hostname) ? internal.lookup : fallback)(hostname, opts, callback)
  return new Agent({...options, connect: {...options.connect, lookup: lookup as never}})
}
