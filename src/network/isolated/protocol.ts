/**
 * Messages between `up` (the host side, network.ts) and the network holder (holder.ts) over
 * Node's IPC channel. IPC rather than a socket file: it carries open sockets (SCM_RIGHTS), so a
 * forwarded connection is handed to the holder whole, and it closes by itself when either side
 * dies, which is how the holder knows to tear everything down.
 */
import type {ToolPaths} from './tools.js'

export interface AttachSpec {
  slot: number
  ip6: string
  ip4: string
  /** The instance's hostname, as on Fly its Machine ID. */
  hostname: string
  hosts: string
}

export interface ForwardTarget {
  /** The instance's 6PN address, as `up` knows it. */
  ip: string
  port: number
}

export type HostMessage =
  | {t: 'attach'; id: number; spec: AttachSpec}
  | {t: 'release'; id: number; slot: number}
  /** Sent with the accepted client socket as handle; targets in the order to try. */
  | {t: 'forward'; targets: ForwardTarget[]}
  | {t: 'dns-reply'; id: number; data: string}
  /** Sent with the connected socket as handle, or with the reason it could not connect. */
  | {t: 'dialed'; id: number; error?: string}

export type HolderMessage =
  | {t: 'ready'}
  | {t: 'fatal'; message: string}
  | {t: 'reply'; id: number; pid?: number; error?: string}
  /** A DNS query (base64) from inside, to relay to the `.internal` server on the host. */
  | {t: 'dns'; id: number; tcp: boolean; data: string}
  /** A connection out to the world for the egress proxy, to open from the host. */
  | {t: 'dial'; id: number; host: string; port: number}

/** Paths of the tools the holder runs, resolved on the host (sbin is not always on PATH). */
export type HolderTools = Pick<ToolPaths, 'hostname' | 'ip' | 'mount' | 'unshare'>
