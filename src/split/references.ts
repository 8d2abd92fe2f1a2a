/**
 * How processes of one app found each other, and what that becomes once they are separate apps
 * (fly-platform.md 5.2 items 15 and 17): `localhost:PORT` and `<group>.process.<app>.internal`
 * peers turn into `<newapp>.internal`, and IPv4-only listeners are flagged because `.internal`
 * is IPv6-only.
 */

export interface PeerContext {
  /** The group whose text is being read. */
  group: string
  /** The original app name (undefined when the config had none). */
  originalApp: string | undefined
  /** Group -> its app after the split. */
  apps: ReadonlyMap<string, string>
  /** Group -> ports its program listens on. */
  ports: ReadonlyMap<string, ReadonlySet<number>>
}

export interface PeerRewrite {
  from: string
  to: string
  why: string
}

export interface PeerFinding {
  /** What the text says, and why it needs a look (no rewrite is possible or safe). */
  match: string
  why: string
}

const LOOPBACK_PEER = /(?<![\w.-])(localhost|127\.0\.0\.1|\[::1\]):(\d{1,5})(?!\d)/gi
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Rewrites the peer references in `text` that point at another group, and lists the ones that
 * cannot be rewritten safely. Each pass reads the original text only, so a name one pass wrote
 * is never judged by the other. Pure; the same input gives the same output.
 */
export function rewritePeers(text: string, ctx: PeerContext): {text: string; rewrites: PeerRewrite[]; findings: PeerFinding[]} {
  const rewrites: PeerRewrite[] = []
  const findings: PeerFinding[] = []
  // One pass over both kinds of reference: `host:port` (groups 1-2) or a name of the old app (3-4).
  const appNames = ctx.originalApp === undefined ? '' : `|(?<![\\w.-])((?:[\\w-]+\\.)*)${escape(ctx.originalApp)}\\.(internal|flycast)(?![\\w-])`
  const pattern = new RegExp(`${LOOPBACK_PEER.source}${appNames}`, 'gi')
  const out = text.replace(pattern, (match: string, ...groups: (string | undefined)[]) => {
    const [host, port, prefix, domain] = groups
    const peer = host !== undefined ? loopbackPeer(match, Number(port), ctx) : appNamePeer(match, prefix ?? '', domain!, ctx)
    if ('finding' in peer) findings.push(peer.finding)
    if ('rewrite' in peer) {
      rewrites.push(peer.rewrite)
      return peer.rewrite.to
    }
    return match
  })
  return {text: out, rewrites, findings}
}

type Peer = {rewrite: PeerRewrite} | {finding: PeerFinding} | {keep: true}

/** `localhost:PORT`: another group's port becomes that group's app; ambiguity is reported. */
function loopbackPeer(match: string, port: number, ctx: PeerContext): Peer {
  if (ctx.ports.get(ctx.group)?.has(port)) return {keep: true}
  const owners = [...ctx.ports].filter(([group, ports]) => group !== ctx.group && ports.has(port)).map(([group]) => group)
  if (owners.length > 1) return {finding: {match, why: `port ${port} is used by groups ${owners.join(', ')}; point it at the right app's .internal name by hand`}}
  const app = owners[0] === undefined ? undefined : ctx.apps.get(owners[0])
  if (app === undefined) return {keep: true}
  return {rewrite: {from: match, to: `${app}.internal:${port}`, why: `port ${port} is group "${owners[0]}", now app ${app}`}}
}

/** `<group>.process.<app>.internal` follows its group; other names of the old app narrow. */
function appNamePeer(match: string, prefix: string, domain: string, ctx: PeerContext): Peer {
  const process = /^(?:.*\.)?([\w-]+)\.process\.$/i.exec(prefix)
  if (!process) return {finding: {match, why: `${match} now reaches only app ${ctx.originalApp}'s own group, not the groups that moved to other apps`}}
  const target = ctx.apps.get(process[1]!)
  if (domain.toLowerCase() !== 'internal' || target === undefined || target === ctx.originalApp) return {keep: true}
  return {rewrite: {from: match, to: `${target}.internal`, why: `group "${process[1]}" is now app ${target}`}}
}

const IPV4_ANY = /(?<![\d.])0\.0\.0\.0(?![\d.])/
const LOOPBACK_LISTENER = /(?:^|\s)(?:--host|--bind|--listen|--address|--addr|--ip|-b|-H|-h)(?:=|\s+)['"]?(?:127\.0\.0\.1|localhost)(?![\w.])/

/** Why a command or value listens where other apps cannot reach it over `.internal`, if it does. */
export function ipv4ListenerProblem(text: string): string | undefined {
  if (IPV4_ANY.test(text)) return 'listens on 0.0.0.0 (IPv4 only): .internal addresses are IPv6, so other apps cannot connect (Fly Proxy still can); bind "::" or fly-local-6pn instead'
  if (LOOPBACK_LISTENER.test(text)) return 'listens on loopback only: nothing outside the Machine can connect; bind "::" or fly-local-6pn instead'
  return undefined
}

/** Clients pinned to IPv4 fail to resolve `.internal` names (AAAA only). */
export function ipv4ClientProblem(text: string): string | undefined {
  return /[?&]family=4(?!\d)/.test(text) ? 'pins the IPv4 address family (family=4), but .internal names only have AAAA records; use family=6' : undefined
}

const PORT_IN_COMMAND = [
  /(?:^|\s)(?:--port|-p|--listen-port)(?:=|\s+)['"]?(\d{2,5})(?!\d)/g,
  /(?:0\.0\.0\.0|\[::\]|::|localhost|127\.0\.0\.1|fly-local-6pn):(\d{2,5})(?!\d)/g,
]

/** Ports a process command names as its own listener (`-p 3000`, `--bind 0.0.0.0:8000`…). */
export function commandPorts(command: string): number[] {
  return PORT_IN_COMMAND.flatMap((pattern) => [...command.matchAll(pattern)].map((m) => Number(m[1])))
}
