/**
 * Addresses and files of the isolated network, shaped like a Fly Machine's
 * (fly-platform.md 2.1–2.2): a 6PN address `fdaa:<net>:<host>:<machine>:2`, the resolver at
 * `fdaa::3` in /etc/resolv.conf, `fly-local-6pn` in /etc/hosts. Pure: no I/O.
 */
import {createHash} from 'node:crypto'

/** Fly's resolver address, written into every instance's /etc/resolv.conf. */
export const RESOLVER = 'fdaa::3'
/** The bridge's own 6PN address; the prefix length makes every instance on-link. */
export const BRIDGE_6PN = 'fdaa:0:1:a7b::3'
export const PREFIX_6PN = 48
/** The IPv4 side, as Fly's eth0 172.19.x.x: only the proxy (our port forwards) uses it. */
export const BRIDGE_V4 = '172.19.0.1'
export const PREFIX_V4 = 16
const NET_HOST = 'fdaa:0:1:a7b:1'
/** The egress proxy, on the bridge: HTTP_PROXY inside points here. */
export const EGRESS_PROXY_PORT = 3128
const EGRESS_PROXY_URL = `http://${BRIDGE_V4}:${EGRESS_PROXY_PORT}`

/**
 * The 6PN address of instance `index` of process group `group` of `app`, derived from them so it
 * survives restarts of the instance and of `up`. `salt` > 0 picks another address when two
 * instances collide.
 */
export function instanceAddress(app: string, group: string, index: number, salt = 0): string {
  const digest = createHash('sha256').update(`${app}\0${group}\0${index}\0${salt}`).digest()
  const hex16 = (offset: number) => digest.readUInt16BE(offset).toString(16)
  return `${NET_HOST}:${hex16(0)}:${hex16(2)}:2`
}

/** Proxy-side IPv4 address of slot n (n ≥ 2; 172.19.0.0 and .0.1 are taken). */
export function proxyAddress(slot: number): string {
  return `172.19.${(slot >> 8) & 255}.${slot & 255}`
}
export const FIRST_SLOT = 2
export const LAST_SLOT = 256 * 256 - 2

/** /etc/hosts of a Fly Machine: `fly-local-6pn` is the 6PN address, the hostname the Machine ID. */
export function hostsFile(ip6: string, ip4: string, machineId: string): string {
  return [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `${ip6}\tfly-local-6pn`,
    `${ip4}\t${machineId}`,
    '',
  ].join('\n')
}

export const resolvConf = `nameserver ${RESOLVER}\n`

/** The env that sends HTTP clients inside through the egress proxy, except for private names. */
export function proxyEnv(): Record<string, string> {
  const noProxy = 'localhost,127.0.0.1,::1,.internal,fly-local-6pn,fdaa::/16'
  return {HTTP_PROXY: EGRESS_PROXY_URL, HTTPS_PROXY: EGRESS_PROXY_URL, http_proxy: EGRESS_PROXY_URL, https_proxy: EGRESS_PROXY_URL,
    NO_PROXY: noProxy, no_proxy: noProxy}
}
