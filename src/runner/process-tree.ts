/**
 * Process groups as the unit of ownership: signalling a whole group, knowing when it is really
 * empty, finding escapees by an environment marker, and the parent-death guard (the watchdog)
 * that stops every registered group when the supervising process dies, even by SIGKILL.
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {readFileSync, readdirSync} from 'node:fs'
import type {Socket} from 'node:net'
import {constants} from 'node:os'

const linux = process.platform === 'linux'

/** Sends `signal` to every process of group `pgid`; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw error
  }
}

/** Groups among `pgids` that still have a member that is not a zombie. */
function liveGroups(pgids: Iterable<number>): Set<number> {
  const maybe = new Set([...pgids].filter((pgid) => signalGroup(pgid, 0)))
  // kill(2) also reaches zombies, and orphaned grandchildren stay zombies for good under a PID 1
  // that does not reap (many containers): on Linux, ask /proc who is really alive.
  if (!linux || maybe.size === 0) return maybe
  const live = new Set<number>()
  for (const name of readdirSync('/proc')) {
    const stat = procStat(name)
    if (stat && stat.state !== 'Z' && stat.state !== 'X' && maybe.has(stat.pgrp)) live.add(stat.pgrp)
  }
  return live
}

function procStat(pid: string): {state: string; pgrp: number} | undefined {
  if (pid.charCodeAt(0) > 57) return undefined // not a digit: /proc/self, /proc/meminfo…
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // comm (field 2) may contain spaces and parentheses: parse after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3)
    return {state: fields[0]!, pgrp: Number(fields[2])}
  } catch {
    return undefined // exited while we looked
  }
}

/**
 * Waits for groups to empty. One poll serves every waiter, so stopping twenty instances costs
 * one /proc scan per tick, not twenty.
 */
export class GroupReaper {
  readonly #waiters = new Map<number, Set<{deadline: number; resolve: (gone: boolean) => void}>>()
  #timer: NodeJS.Timeout | undefined
  #ticks = 0

  /** Resolves true once group `pgid` is empty, false if it still is not after `timeoutMs`. */
  waitGone(pgid: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(pgid)
      if (!set) this.#waiters.set(pgid, (set = new Set()))
      set.add({deadline: performance.now() + timeoutMs, resolve})
      if (!this.#timer) {
        this.#ticks = 0
        this.#timer = setTimeout(() => this.#poll(), 0)
      }
    })
  }

  #poll(): void {
    this.#timer = undefined
    const live = liveGroups(this.#waiters.keys())
    const now = performance.now()
    for (const [pgid, set] of this.#waiters) {
      for (const waiter of set) {
        if (!live.has(pgid)) waiter.resolve(true)
        else if (now >= waiter.deadline) waiter.resolve(false)
        else continue
        set.delete(waiter)
      }
      if (set.size === 0) this.#waiters.delete(pgid)
    }
    if (this.#waiters.size === 0) return
    // Most processes exit within milliseconds of the signal; poll fast first, then back off.
    this.#timer = setTimeout(() => this.#poll(), ++this.#ticks < 20 ? 5 : 50)
  }
}

/**
 * PIDs of processes whose environment has `name=value` (Linux; elsewhere none can be found).
 * Catches what left its process group (setsid, daemonising) but kept the inherited environment.
 */
export function findByEnv(name: string, value: string): number[] {
  if (!linux) return []
  const needle = `\0${name}=${value}\0`
  const found: number[] = []
  for (const pid of readdirSync('/proc')) {
    if (pid.charCodeAt(0) > 57 || Number(pid) === process.pid) continue
    try {
      const env = '\0' + readFileSync(`/proc/${pid}/environ`, 'latin1')
      if (env.includes(needle) && procStat(pid)?.state !== 'Z') found.push(Number(pid))
    } catch {
      // gone, or another user's process: not ours either way
    }
  }
  return found
}

// POSIX sh, so it starts in a millisecond and exists wherever process groups do. It ignores the
// terminal's signals (it lives in its own session anyway) and acts only when its stdin, the pipe
// from the supervisor, reaches EOF: every registered group gets its kill signal, then SIGKILL
// once the longest kill timeout has passed; last, on Linux, anything still carrying the session
// marker ($1, `NAME=VALUE`) in its environment is SIGKILLed: it left its group (setsid).
const watchdogScript = `
trap '' INT TERM HUP QUIT PIPE
groups=
while read -r op pgid sig ticks; do
  case $op in
    +) groups="$groups $pgid:$sig:$ticks" ;;
    -) kept=; for g in $groups; do case $g in "$pgid":*) ;; *) kept="$kept $g" ;; esac; done; groups=$kept ;;
  esac
done
wait=0
for g in $groups; do
  p=\${g%%:*}; rest=\${g#*:}; s=\${rest%%:*}; t=\${rest#*:}
  kill -s "$s" -- "-$p" 2>/dev/null
  [ "$t" -gt "$wait" ] && wait=$t
done
i=0
while [ "$i" -lt "$wait" ]; do
  alive=
  for g in $groups; do kill -s 0 -- "-\${g%%:*}" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && break
  sleep 0.1; i=$((i + 1))
done
for g in $groups; do kill -s KILL -- "-\${g%%:*}" 2>/dev/null; done
[ -d /proc/self ] || exit 0
grep -lzxF -- "$1" /proc/[0-9]*/environ 2>/dev/null | while read -r f; do
  p=\${f#/proc/}; kill -s KILL "\${p%/environ}" 2>/dev/null
done
exit 0
`

/**
 * The parent-death guard. It holds the read end of a pipe whose only writer is this process;
 * the kernel closes it however this process ends (exit, crash, SIGKILL, OOM killer), and the
 * watchdog then stops every group still registered.
 */
export class Watchdog {
  #child: ChildProcess | undefined

  /** `marker`: `NAME=VALUE` that every supervised process carries in its environment. */
  constructor(readonly marker: string) {}

  add(pgid: number, signal: NodeJS.Signals, timeoutMs: number): void {
    this.#send(`+ ${pgid} ${signal.replace(/^SIG/, '')} ${Math.ceil(timeoutMs / 100)}\n`)
  }

  remove(pgid: number): void {
    if (this.#child) this.#send(`- ${pgid} - 0\n`)
  }

  /** Normal shutdown: with nothing registered the watchdog simply exits. */
  close(): void {
    this.#child?.stdin?.end()
    this.#child = undefined
  }

  #send(line: string): void {
    if (!this.#child) {
      // Own session: a terminal's Ctrl-C or hang-up must not take the guard down with us.
      this.#child = spawn('/bin/sh', ['-c', watchdogScript, 'flotilla-watchdog', this.marker], {detached: true, stdio: ['pipe', 'ignore', 'ignore']})
      this.#child.unref()
      // A pipe to a child is a net.Socket: unref it so the guard never keeps the process alive.
      const stdin = this.#child.stdin as unknown as Socket
      stdin.unref()
      stdin.on('error', () => {}) // the guard died: nothing left to tell it
    }
    this.#child.stdin!.write(line)
  }
}

/** Validates a signal name (`SIGINT`, `INT`, `sigterm`) and returns its canonical form. */
export function signalName(name: string): NodeJS.Signals | undefined {
  const upper = name.toUpperCase()
  const canonical = (upper.startsWith('SIG') ? upper : `SIG${upper}`) as NodeJS.Signals
  return canonical in constants.signals ? canonical : undefined
}
