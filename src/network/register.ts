/**
 * The preload (`node --import flotilla/register`, or through NODE_OPTIONS as registerEnv sets
 * it): `dns.lookup` and `dns.promises.lookup`, and so http, net, tls and fetch, resolve
 * `*.internal` through the flotilla DNS server named by FLOTILLA_DNS, and `fly-local-6pn` to
 * FLOTILLA_LOCAL_6PN. Every other name goes to the original lookup untouched. When HTTP_PROXY or
 * HTTPS_PROXY is set (the isolated mode's egress proxy), global fetch goes through it too, except
 * for private hosts (fetch-proxy.ts). Without FLOTILLA_DNS this does nothing.
 */
import dns from 'node:dns'
import {syncBuiltinESMExports} from 'node:module'
import {createInternalLookup, ENV_DNS, ENV_LOCAL_6PN, isInternalName, type Lookup} from './resolver.js'

const server = process.env[ENV_DNS]
if (server) {
  const original = dns.lookup as Lookup
  const originalAsync = dns.promises.lookup
  const internal = createInternalLookup({server, local6pn: process.env[ENV_LOCAL_6PN], fallback: original})
  const lookup = function lookup(hostname: string, options: unknown, callback?: unknown) {
    if (!isInternalName(hostname) || typeof (callback ?? options) !== 'function') {
      return Reflect.apply(original, dns, [hostname, options, callback].slice(0, callback === undefined ? 2 : 3))
    }
    internal.lookup(hostname, options as Parameters<Lookup>[1], callback as Parameters<Lookup>[2])
    return {}
  }
  const lookupAsync = function lookup(hostname: string, options?: unknown) {
    if (!isInternalName(hostname)) return Reflect.apply(originalAsync, dns.promises, [hostname, options])
    return internal.lookupAsync(hostname, options as Parameters<typeof internal.lookupAsync>[1])
  }
  dns.lookup = lookup as typeof dns.lookup
  dns.promises.lookup = lookupAsync as typeof dns.promises.lookup
  // `import {lookup} from 'node:dns'` binds the ESM export, which only follows the patch after a sync.
  syncBuiltinESMExports()
  // A cheap check first: undici loads only in processes that have a proxy to honour.
  if (['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'].some((name) => process.env[name])) {
    const {installProxyDispatcher} = await import('./fetch-proxy.js')
    installProxyDispatcher()
  }
}
