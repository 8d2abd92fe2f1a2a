/**
 * One run of one instance: a child in its own process group with piped stdout and stderr, read
 * as whole lines from the first byte (never write into a pipe you also read: foreman's startup
 * deadlock). It ends only when the whole group is gone and both pipes are drained, so the last
 * lines of a crash are never lost and a restart never finds its port still taken.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import type {Readable} from 'node:stream'
import type {LogStream} from './log-format.js'
import {LineSplitter, type SplitterOptions} from './log-mux.js'
import {type GroupReaper, signalGroup, type Watchdog} from './process-tree.js'

export interface RunSpec {
  argv: string[]
  cwd: string
  /** The complete environment of the process. */
  env: Record<string, string>
  killSignal: NodeJS.Signals
  killTimeoutMs: number
}

export interface RunExit {
  /** Exit status of the group leader (the process flotilla started). */
  code: number | null
  signal: NodeJS.Signals | null
  /** Why it could not start (`command not found: x`), when it never ran. */
  error?: string
  /** The group outlived the kill timeout and was SIGKILLed. */
  killed: boolean
  ranMs: number
}

export interface RunContext {
  /** Whole lines (see LineSplitter). A congested consumer calls pause() and later resume(). */
  output(stream: LogStream, text: string, partial: boolean, ts: number): void
  /** The run is being stopped for a reason the owner did not ask for, or is being SIGKILLed. */
  stopping(reason: string): void
  splitter: SplitterOptions
  reaper: GroupReaper
  watchdog: Watchdog
}

/** After SIGKILL only an uninterruptible sleep can delay the end; do not wait forever for it. */
const afterKillMs = 5_000
/** Pipes still open this long after the group is gone belong to a process that escaped it. */
const escapedPipeMs = 1_000

export class ProcessRun {
  readonly pid: number | undefined
  readonly startedAt = Date.now()
  /** Resolves once the group is empty and the pipes are drained. */
  readonly done: Promise<RunExit>
  readonly #child: ChildProcess
  readonly #spec: RunSpec
  readonly #context: RunContext
  #terminating: Promise<boolean> | undefined
  #paused = false
  #lastData = 0

  constructor(spec: RunSpec, context: RunContext) {
    this.#spec = spec
    this.#context = context
    // detached = setsid(): its own session and process group (pgid = pid), out of reach of the
    // terminal's Ctrl-C, so flotilla alone decides how and when it stops.
    this.#child = spawn(spec.argv[0]!, spec.argv.slice(1), {cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe']})
    this.pid = this.#child.pid
    if (this.pid !== undefined) context.watchdog.add(this.pid, spec.killSignal, spec.killTimeoutMs)
    const drained = Promise.all([this.#read('stdout', this.#child.stdout!), this.#read('stderr', this.#child.stderr!)])
    this.done = new Promise<{code: number | null; signal: NodeJS.Signals | null; error?: string}>((resolve) => {
      this.#child.once('exit', (code, signal) => resolve({code, signal}))
      // Only spawning can fail here (we never call child.kill): the process never ran.
      this.#child.once('error', (error) => resolve({code: null, signal: null, error: spawnError(spec, error)}))
    }).then(async (leader) => {
      // The leader is gone; whatever it left in its group goes the way of a stop.
      const killed = this.pid !== undefined && !(await this.#terminate('main process exited; stopping what it left running'))
      await this.#closePipes(drained)
      if (this.pid !== undefined) context.watchdog.remove(this.pid)
      return {...leader, killed, ranMs: Date.now() - this.startedAt}
    })
  }

  /** Resolves once the process has started (or failed to). */
  spawned(): Promise<boolean> {
    if (this.pid === undefined) return Promise.resolve(false)
    return new Promise((resolve) => {
      this.#child.once('spawn', () => resolve(true))
      this.#child.once('error', () => resolve(false))
    })
  }

  /** `kill_signal` to the group, SIGKILL after `kill_timeout`; resolves when the run is over. */
  stop(): Promise<RunExit> {
    if (this.pid !== undefined) void this.#terminate()
    return this.done
  }

  /** SIGKILL to the group now (a second Ctrl-C). */
  kill(): void {
    if (this.pid !== undefined) signalGroup(this.pid, 'SIGKILL')
  }

  pause(): void {
    this.#paused = true
    this.#child.stdout?.pause()
    this.#child.stderr?.pause()
  }

  resume(): void {
    this.#paused = false
    this.#child.stdout?.resume()
    this.#child.stderr?.resume()
  }

  /**
   * True if the group ended on the kill signal, false if it needed SIGKILL. Runs once; `why` is
   * told to the owner when the stop was not its own idea.
   */
  #terminate(why?: string): Promise<boolean> {
    this.#terminating ??= (async () => {
      const {reaper, stopping} = this.#context
      const {killSignal, killTimeoutMs} = this.#spec
      const pgid = this.pid!
      if (!signalGroup(pgid, killSignal)) return true
      if (why) stopping(why)
      if (await reaper.waitGone(pgid, killTimeoutMs)) return true
      stopping(`still running ${killTimeoutMs} ms after ${killSignal}: sending SIGKILL`)
      signalGroup(pgid, 'SIGKILL')
      await reaper.waitGone(pgid, afterKillMs)
      return false
    })()
    return this.#terminating
  }

  #read(stream: LogStream, pipe: Readable): Promise<void> {
    const splitter = new LineSplitter((text, partial) => this.#context.output(stream, text, partial, Date.now()), this.#context.splitter)
    pipe.on('data', (chunk: Buffer) => {
      this.#lastData = performance.now()
      splitter.push(chunk)
    })
    return new Promise((resolve) => pipe.once('close', () => {
      splitter.end()
      resolve()
    }))
  }

  /**
   * Waits for both pipes to reach EOF. A process that left the group (setsid) may hold them
   * open forever: once nothing arrived for a while, and not because we paused, let them go.
   */
  async #closePipes(drained: Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const escaped = new Promise<void>((resolve) => {
      const check = () => {
        if (this.#paused || performance.now() - this.#lastData < escapedPipeMs) timer = setTimeout(check, escapedPipeMs)
        else {
          this.#child.stdout?.destroy()
          this.#child.stderr?.destroy()
          resolve()
        }
      }
      timer = setTimeout(check, escapedPipeMs)
    })
    await Promise.race([drained, escaped])
    clearTimeout(timer)
    await drained
  }
}

/** Node says `spawn x ENOENT` both for a missing command and a missing cwd: tell them apart. */
function spawnError(spec: RunSpec, error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return existsSync(spec.cwd) ? `command not found: ${spec.argv[0]}` : `working directory not found: ${spec.cwd}`
  if (error.code === 'EACCES') return `permission denied: ${spec.argv[0]}`
  return error.message
}
