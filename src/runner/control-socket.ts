/**
 * The control socket of a running `up` (`.flotilla/control.sock`): one NDJSON request per
 * connection, answered by one or more NDJSON messages, the last one `{"ok":…}`. The socket is
 * created mode 0600 inside a 0700 directory, so other users can neither connect nor replace it.
 * A socket file nobody answers on is a leftover of a killed `up` and is replaced.
 */
import {readFileSync} from 'node:fs'
import {chmod, mkdir, unlink} from 'node:fs/promises'
import {createServer, connect, type Server, type Socket} from 'node:net'
import {dirname, join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {ExitCode, FlotillaError} from '../errors.js'

/** Where a workspace's `up` keeps its state: `<dir>/.flotilla/`. */
export const STATE_DIR = '.flotilla'
export const controlSocketPath = (dir: string): string => join(dir, STATE_DIR, 'control.sock')

export type ControlRequest =
  | {op: 'status'}
  | {op: 'logs'; app?: string; follow?: boolean; tail?: number}
  | {op: 'restart'; app: string}
  | {op: 'down'}
  /** Answers once every instance started (or, with healthy, passes its checks); E_WAIT_TIMEOUT after timeoutMs. */
  | {op: 'wait'; healthy: boolean; timeoutMs?: number}

/** Whether `name` (as `logs`, `restart` take it: an app name, a process group or `app[group]`) selects the group's instances. */
export const namesGroup = (name: string, app: string, group: string): boolean => name === app || name === group || name === `${app}[${group}]`

export type ControlMessage = {ok: true; result?: unknown} | {ok: false; error: {code: string; message: string; exitCode?: number}} | {line: unknown}

/**
 * What a handler gets: `send` streams intermediate messages (log lines) and returns false when the
 * message was dropped or the reader is behind; `closed` fires on hang-up.
 */
export interface ControlReply {
  send(message: {line: unknown}): boolean
  readonly closed: Promise<void>
}

export type ControlHandler = (request: ControlRequest, reply: ControlReply) => Promise<unknown>

/** A follower that reads slower than this backlog loses lines rather than growing our memory. */
const MAX_BACKLOG_BYTES = 1024 * 1024
/** How long closing waits for answers in progress, then for clients to hang up. */
const CLOSE_GRACE_MS = 2000
/** How long a client may take to send its request line. */
const REQUEST_TIMEOUT_MS = 10_000
/** Requests are small; anything bigger is not ours. */
const MAX_REQUEST_BYTES = 64 * 1024
// sun_path is 108 bytes on Linux, 104 on macOS.
const MAX_SOCKET_PATH = 103

function parseControlRequest(line: string): ControlRequest | undefined {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const r = value as Record<string, unknown>
  const optionalString = (v: unknown) => v === undefined || typeof v === 'string'
  switch (r.op) {
    case 'status':
    case 'down':
      return {op: r.op}
    case 'wait':
      if (!(r.healthy === undefined || typeof r.healthy === 'boolean')) return undefined
      if (!(r.timeoutMs === undefined || (Number.isInteger(r.timeoutMs) && (r.timeoutMs as number) > 0))) return undefined
      return {op: 'wait', healthy: r.healthy === true, ...(r.timeoutMs === undefined ? {} : {timeoutMs: r.timeoutMs as number})}
    case 'restart':
      return typeof r.app === 'string' ? {op: 'restart', app: r.app} : undefined
    case 'logs':
      if (!optionalString(r.app) || !(r.follow === undefined || typeof r.follow === 'boolean')) return undefined
      if (!(r.tail === undefined || (Number.isInteger(r.tail) && (r.tail as number) >= 0))) return undefined
      return {op: 'logs', ...(r.app === undefined ? {} : {app: r.app as string}), follow: r.follow === true,
        ...(r.tail === undefined ? {} : {tail: r.tail as number})}
    default:
      return undefined
  }
}

function checkPathLength(path: string): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new FlotillaError('E_SOCKET_PATH', `${path}: path too long for a Unix socket (${MAX_SOCKET_PATH} bytes at most); run from a shorter directory`, ExitCode.runtime)
  }
}

/** True when a live `up` answers on the socket. */
export async function isControlSocketLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path)
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })
}

export interface ControlServer {
  path: string
  close(): Promise<void>
}

export async function startControlServer(path: string, handler: ControlHandler): Promise<ControlServer> {
  checkPathLength(path)
  await mkdir(dirname(path), {recursive: true, mode: 0o700})
  await chmod(dirname(path), 0o700)
  if (await isControlSocketLive(path)) {
    throw new FlotillaError('E_ALREADY_RUNNING', `flotilla up is already running here (${path}); use flotilla ps, or flotilla down first`, ExitCode.runtime)
  }
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
  const connections = new Set<Socket>()
  const inFlight = new Set<Promise<unknown>>()
  const server: Server = createServer((socket) => {
    connections.add(socket)
    socket.on('close', () => connections.delete(socket))
    serve(socket, handler, inFlight)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => resolve())
  })
  await chmod(path, 0o600)
  return {
    path,
    // Answers being written (a `down` waits for the session it stops) still go out; then hang up.
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await Promise.race([Promise.allSettled([...inFlight]), sleep(CLOSE_GRACE_MS, undefined, {ref: false})])
      for (const socket of connections) socket.end()
      await Promise.race([closed, sleep(CLOSE_GRACE_MS, undefined, {ref: false})])
      for (const socket of connections) socket.destroy()
      await closed
      await unlink(path).catch(() => undefined)
    },
  }
}

function serve(socket: Socket, handler: ControlHandler, inFlight: Set<Promise<unknown>>): void {
  let buffer = ''
  let handled = false
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const write = (message: ControlMessage) => !socket.destroyed && socket.write(JSON.stringify(message) + '\n')
  const fail = (code: string, message: string) => {
    write({ok: false, error: {code, message}})
    socket.end()
  }
  socket.setEncoding('utf8')
  socket.on('error', () => socket.destroy())
  // A client that connects and says nothing does not get to hold a connection.
  socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy())
  socket.on('data', (chunk: string) => {
    if (handled) return
    buffer += chunk
    const end = buffer.indexOf('\n')
    if (end < 0) {
      if (buffer.length > MAX_REQUEST_BYTES) fail('E_BAD_REQUEST', 'request too long')
      return
    }
    handled = true
    socket.setTimeout(0)
    const request = parseControlRequest(buffer.slice(0, end))
    if (!request) return fail('E_BAD_REQUEST', 'not a flotilla control request')
    const send = (message: {line: unknown}) => socket.writableLength < MAX_BACKLOG_BYTES && write(message) !== false
    const answered = handler(request, {send, closed})
      .then((result) => write({ok: true, ...(result === undefined ? {} : {result})}))
      .catch((error: Error & {code?: unknown; exitCode?: number}) => write({ok: false, error: {code: typeof error.code === 'string' ? error.code : 'E_INTERNAL',
        message: error.message, ...(error instanceof FlotillaError ? {exitCode: error.exitCode} : {})}}))
      .finally(() => (socket.end(), inFlight.delete(answered)))
    inFlight.add(answered)
  })
}

/**
 * Sends one request; `onLine` receives streamed messages. Resolves with the final result, rejects
 * with E_NOT_RUNNING when no `up` answers, or with the server's error.
 */
export async function controlRequest(path: string, request: ControlRequest, onLine?: (line: unknown) => void): Promise<unknown> {
  checkPathLength(path)
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    let buffer = ''
    let settled = false
    const settle = (fn: () => void) => {
      if (settled) return
      settled = true
      fn()
      socket.destroy()
    }
    socket.setEncoding('utf8')
    socket.once('connect', () => socket.write(JSON.stringify(request) + '\n'))
    socket.on('error', (error: NodeJS.ErrnoException) => settle(() => reject(
      error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
        ? new FlotillaError('E_NOT_RUNNING', `no flotilla up is running here (no answer on ${path})`, ExitCode.failed)
        : error)))
    socket.on('data', (chunk: string) => {
      buffer += chunk
      let end: number
      while (!settled && (end = buffer.indexOf('\n')) >= 0) {
        const message = JSON.parse(buffer.slice(0, end)) as ControlMessage
        buffer = buffer.slice(end + 1)
        if ('line' in message) onLine?.(message.line)
        else if (message.ok) settle(() => resolve(message.result))
        else settle(() => reject(new FlotillaError(message.error.code, message.error.message, (message.error.exitCode ?? ExitCode.runtime) as ExitCode)))
      }
    })
    socket.on('close', () => settle(() => reject(new FlotillaError('E_NOT_RUNNING', 'flotilla up closed the connection without answering', ExitCode.runtime))))
  })
}

/** `flotilla down`: stops the `up` running in `dir` and returns once it and its processes are gone. */
export async function stopSession(dir: string): Promise<{stopped: number}> {
  const socket = controlSocketPath(dir)
  const {pid} = (await controlRequest(socket, {op: 'status'})) as {pid: number}
  const result = (await controlRequest(socket, {op: 'down'})) as {stopped: number}
  // Its processes are gone when `down` answers; wait for the `up` process itself too.
  while (isAlive(pid)) await sleep(10)
  return result
}

/** A zombie (exited, not yet reaped by a parent that may never reap it) counts as gone. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  if (process.platform !== 'linux') return true
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}
