/**
 * Global `fetch` through HTTP_PROXY / HTTPS_PROXY, for preloaded processes (register.ts) in the
 * isolated network mode, whose only way out is the egress proxy: Node 20's built-in fetch ignores
 * those variables. undici's EnvHttpProxyAgent honours them and NO_PROXY's host names; private
 * destinations (`.internal`, `fly-local-6pn`, loopback, the 6PN fdaa::/16, which its NO_PROXY
 * parser cannot express) always go direct, so `.internal` names still resolve through the
 * preload's lookup. Imported only when a proxy is configured: undici costs start-up time.
 */
import {isIP} from 'node:net'
import {Agent, EnvHttpProxyAgent, setGlobalDispatcher} from 'undici'
import {isInternalName} from './resolver.js'

/** Hosts never sent to the proxy, whatever NO_PROXY says. */
function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  switch (isIP(host)) {
    case 4: return host.startsWith('127.')
    case 6: return host === '::1' || host.startsWith('fdaa:') || host.startsWith('::ffff:127.')
    default: return host === 'localhost' || isInternalName(host)
  }
}

/** Makes the global dispatcher (used by Node's bundled fetch too) honour the proxy variables. */
export function installProxyDispatcher(): void {
  const direct = new Agent()
  const proxied = new EnvHttpProxyAgent()
  setGlobalDispatcher(proxied.compose((dispatch) => (opts, handler) =>
    isPrivateHost(new URL(String(opts.origin)).hostname) ? direct.dispatch(opts, handler) : dispatch(opts, handler)))
}
