/**
 * Ways to run a workspace other than `up` in the foreground: in the background (`up --detach`),
 * around one command (`flotilla exec`), and in-process for a project's own tests
 * (`startWorkspace`, exported as `flotilla/testing`).
 */
import {spawn} from 'node:child_process'
import {closeSync, createWriteStream, openSync} from 'node:fs'
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import {Resolver} from 'node:dns/promises'
import {join} from 'node:path'
import {Writable} from 'node:stream'
import {setTimeout as sleep} from 'node:timers/promises'
import type {Agent} from 'undici'
import {ExitCode, FlotillaError} from '../errors.js'
import {formatHostPort, registerEnv} from '../network/index.js'
import type {NetworkKind} from '../network/network-mode.js'
import {controlRequest, controlSocketPath, isControlSocketLive, STATE_DIR} from './control-socket.js'
import {loadRunPlan, type PlanOptions} from './instance-plan.js'
import {instanceKey} from './log-format.js'
import {Session, type SessionStatus} from './session.js'

export interface RunOptions extends PlanOptions {
  network?: NetworkKind
  /** exec: how long to wait for every instance to be healthy (E_WAIT_TIMEOUT after it). */
  timeoutMs?: number
}

/** How long a detached `up` may take to open its control socket. */
const SOCKET_TIMEOUT_MS = 30_000
/** How many lines of the apps' logs a failure report shows. */
const REPORT_LINES = 200

/** The last `count` lines of a log file, for failure reports. */
export async function logTail(file: string, count = REPORT_LINES): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text.split('\n').slice(-count - 1).join('\n').trimEnd()
}

/** E_START_FAILED: why the apps did not come up, with the end of their log. */
async function startFailed(why: string, logFile: string): Promise<FlotillaError> {
  return new FlotillaError('E_START_FAILED', `${why}; the end of ${logFile}:\n${await logTail(logFile, 40)}`, ExitCode.runtime)
}

/**
 * `up --detach`: starts `flotilla up ARGS` as a background process of its own session (out of
 * reach of the terminal's Ctrl-C), logging to `.flotilla/up.log`, and returns its status once
 * every instance started (or, with `healthy`, passes its checks). If it cannot get there, it is
 * stopped and the error carries the end of its log.
 */
export async function startDetached(dir: string, upArgs: string[], options: {healthy: boolean; timeoutMs?: number}): Promise<SessionStatus> {
  const socket = controlSocketPath(dir)
  if (await isControlSocketLive(socket)) {
    throw new FlotillaError('E_ALREADY_RUNNING', 'flotilla up is already running here; use flotilla ps, or flotilla down first', ExitCode.runtime)
  }
  await mkdir(join(dir, STATE_DIR), {recursive: true, mode: 0o700})
  const logFile = join(dir, STATE_DIR, 'up.log')
  const fd = openSync(logFile, 'w', 0o600)
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'up', ...upArgs], {cwd: dir, detached: true, stdio: ['ignore', fd, fd]})
  closeSync(fd)
  child.unref()
  let exited = false
  child.once('exit', () => (exited = true))
  const failed = (why: string) => startFailed(why, logFile)
  // Its control socket comes first, right after reading the workspace.
  for (const deadline = Date.now() + SOCKET_TIMEOUT_MS; !(await isControlSocketLive(socket)); await sleep(25)) {
    if (exited) throw await failed('flotilla up stopped before it was running')
    if (Date.now() > deadline) {
      child.kill('SIGTERM')
      throw await failed(`flotilla up did not open its control socket within ${SOCKET_TIMEOUT_MS / 1000} s`)
    }
  }
  try {
    return (await controlRequest(socket, {op: 'wait', healthy: options.healthy, ...(options.timeoutMs === undefined ? {} : {timeoutMs: options.timeoutMs})})) as SessionStatus
  } catch (error) {
    await controlRequest(socket, {op: 'down'}).catch(() => undefined)
    throw await failed((error as Error).message)
  }
}

export interface ExecResult {
  /** CMD's exit status (128 + signal number when a signal ended it). */
  status: number
  /** Where the apps' logs of this run are. */
  logFile: string
  /** A running `up` of the directory was used (and left running). */
  reused: boolean
  /** Why CMD could not be started (status 127: not found, 126: not executable). */
  notRun?: string
}

/**
 * `flotilla exec`: brings the workspace up (or uses the `up` already running in `dir`), waits
 * until every instance is healthy, runs CMD with `.internal` resolvable, stops what it started.
 */
export async function execInWorkspace(dir: string, argv: string[], options: RunOptions = {}): Promise<ExecResult> {
  const logFile = join(dir, STATE_DIR, 'exec.log')
  const socket = controlSocketPath(dir)
  let session: Session | undefined
  let status: SessionStatus
  // Stops what exec started and flushes its log, so a failure report reads the whole of it.
  let finish = async () => {}
  if (await isControlSocketLive(socket)) {
    // CMD runs on the host, which cannot reach an isolated instance's fdaa: address.
    if (((await controlRequest(socket, {op: 'status'})) as SessionStatus).network === 'isolated') {
      throw new FlotillaError('E_ISOLATED_UP', 'the flotilla up running here uses the isolated network, which the command (run on the host) cannot reach; '
        + 'stop it with flotilla down and let exec start the apps, or start it with flotilla up --network loopback', ExitCode.runtime)
    }
    status = (await controlRequest(socket, {op: 'wait', healthy: true, ...(options.timeoutMs === undefined ? {} : {timeoutMs: options.timeoutMs})})) as SessionStatus
  } else {
    const plan = await loadRunPlan(dir, options)
    await mkdir(join(dir, STATE_DIR), {recursive: true, mode: 0o700})
    const logs = createWriteStream(logFile, {mode: 0o600})
    const flush = () => new Promise<void>((resolve) => logs.end(resolve))
    session = await Session.start({plan, logs, color: false, ...(options.network ? {network: options.network} : {})}).catch(async (error: unknown) => {
      await flush()
      throw error
    })
    const started = session
    finish = () => started.stop().then(flush)
    try {
      await session.waitUntil('healthy', options.timeoutMs === undefined ? {} : {timeoutMs: options.timeoutMs})
    } catch (error) {
      await finish()
      throw await startFailed((error as Error).message, logFile)
    }
    status = session.status()
  }
  try {
    const child = spawn(argv[0]!, argv.slice(1), {stdio: 'inherit', env: {...process.env, ...registerEnv(status.dns)}})
    // A terminal's Ctrl-C reaches CMD by itself; a `kill` of exec is passed on.
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, forward)
    const [code, signal, notRun] = await new Promise<[number | null, NodeJS.Signals | null, string?]>((resolve) => {
      child.once('exit', (...end) => resolve(end))
      // As a shell says it: 127 for a command not found, 126 for one it cannot execute.
      child.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ENOENT'
        ? [127, null, `${argv[0]}: command not found`] : [126, null, `cannot run ${argv[0]}: ${error.message}`]))
    }).finally(() => {
      for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(name, forward)
    })
    const exit = code ?? 128 + (signal ? (await import('node:os')).constants.signals[signal] : 0)
    if (notRun !== undefined) return {status: exit, logFile, reused: session === undefined, notRun}
    if (exit !== 0 && !session) await saveRecentLogs(socket, logFile)
    return {status: exit, logFile, reused: session === undefined}
  } finally {
    await finish()
  }
}

/** A reused `up` keeps its logs in memory: copy the recent ones next to the exec log for the report. */
async function saveRecentLogs(socket: string, logFile: string): Promise<void> {
  const lines: string[] = []
  await controlRequest(socket, {op: 'logs', follow: false, tail: REPORT_LINES}, (line) => {
    const l = line as {key: string; line: string}
    lines.push(`${l.key} | ${l.line}`)
  }).catch(() => undefined)
  await writeFile(logFile, lines.join('\n') + '\n', {mode: 0o600})
}

export interface StartedWorkspace {
  /** The first public URL of an app (`name` as in `--only`: app, group or `app[group]`). */
  url(app: string): string
  /** AAAA answers for a name from the workspace's `.internal` DNS (`[]` when none). */
  resolve(name: string): Promise<string[]>
  /** An undici dispatcher resolving `.internal` names: `fetch(url, {dispatcher})`, `request(url, {dispatcher})`. */
  dispatcher: Agent
  /** The env that makes a child Node process resolve `.internal` (NODE_OPTIONS preload, FLOTILLA_DNS). */
  env: Record<string, string>
  /** Recent output lines of an app's instances. */
  logs(app: string): string[]
  status(): SessionStatus
  /** Stops every app and closes the dispatcher; safe to call more than once. */
  stop(): Promise<void>
}

/**
 * Starts the workspace in `dir` in-process, waits until every instance is healthy, and returns
 * handles for tests. Rejects (with the apps' recent logs) if an app does not come up.
 */
export async function startWorkspace(options: RunOptions & {dir: string; logs?: Writable}): Promise<StartedWorkspace> {
  const plan = await loadRunPlan(options.dir, options)
  const discard = new Writable({write: (_chunk, _encoding, done) => done()})
  const session = await Session.start({plan, logs: options.logs ?? discard, ...(options.network ? {network: options.network} : {})})
  const logs = (app?: string) => session.recentLogs(app, Number.MAX_SAFE_INTEGER).map((l) => l.line)
  try {
    await session.waitUntil('healthy')
  } catch (error) {
    const recent = logs().slice(-50).join('\n')
    await session.stop()
    throw new FlotillaError('E_START_FAILED', `${(error as Error).message}\n${recent}`, ExitCode.runtime)
  }
  const {internalDispatcher} = await import('../network/dispatcher.js')
  const dispatcher = internalDispatcher(session.dns)
  let stopping: Promise<void> | undefined
  const resolver = new Resolver()
  resolver.setServers([formatHostPort(session.dns.address, session.dns.port)])
  return {
    url(app) {
      const keys = new Set(session.keysFor(app))
      const url = session.status().instances.find((i) => keys.has(instanceKey(i.app, i.group, i.index)))?.urls[0]
      if (!url) throw new FlotillaError('E_NO_URL', `${app} has no public service ([http_service] or [[services]])`, ExitCode.input)
      return url
    },
    resolve: (name) => resolver.resolve6(name).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOTFOUND' || error.code === 'ENODATA') return []
      throw error
    }),
    dispatcher,
    env: registerEnv(session.dns),
    logs,
    status: () => session.status(),
    stop: () => (stopping ??= Promise.all([dispatcher.close(), session.stop()]).then(() => undefined)),
  }
}
