/** Shared by the runner tests: specs, event waits, and an independent /proc scan for leftovers. */
import {randomUUID} from 'node:crypto'
import type {EventEmitter} from 'node:events'
import {readFileSync, readdirSync} from 'node:fs'
import type {ProcessSpec, StateEvent, Supervisor} from '../../src/runner/supervisor.js'

/** Every test process carries this marker so leftovers can be found by scanning /proc. */
export const markerName = 'FLOTILLA_TEST_MARK'

export function newMarker(): string {
  return randomUUID()
}

export function spec(marker: string, overrides: Partial<ProcessSpec> & Pick<ProcessSpec, 'argv'>): ProcessSpec {
  return {
    app: 'app', group: 'web', index: 0, machineId: '0123456789abcd', cwd: process.cwd(),
    env: {PATH: process.env.PATH ?? '/usr/bin:/bin', [markerName]: marker},
    killSignal: 'SIGINT', killTimeoutMs: 5000, restart: {policy: 'never'}, checks: [], ...overrides,
  }
}

export const sh = (script: string): string[] => ['/bin/sh', '-c', script]

/** Resolves with the first event `name` whose payload satisfies `test`. */
export function waitFor<T>(emitter: EventEmitter, name: string, test: (value: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const listener = (value: T) => {
      if (!test(value)) return
      emitter.off(name, listener)
      resolve(value)
    }
    emitter.on(name, listener)
  })
}

export const waitState = (supervisor: Supervisor, key: string, state: StateEvent['state']): Promise<StateEvent> =>
  waitFor<StateEvent>(supervisor, 'state', (event) => event.key === key && event.state === state)

/** Collects every 'state' event of the supervisor, in order. */
export function recordStates(supervisor: Supervisor): StateEvent[] {
  const events: StateEvent[] = []
  supervisor.on('state', (event: StateEvent) => events.push(event))
  return events
}

/** Live (non-zombie) processes whose environment carries `FLOTILLA_TEST_MARK=marker`, as `pid cmdline`. */
export function marked(marker: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')
      if (!env.includes(`${markerName}=${marker}`)) continue
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue
      found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').trim()}`)
    } catch {
      // exited while we looked
    }
  }
  return found
}

/** Polls until no marked process is left or `timeoutMs` passes; returns what is left. */
export async function leftovers(marker: string, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const left = marked(marker)
    if (left.length === 0 || Date.now() > deadline) return left
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Kills, by PID, whatever a failed test left behind, so one failure does not leak into others. */
export function killMarked(marker: string): void {
  for (const entry of marked(marker)) {
    try {
      process.kill(Number(entry.split(' ')[0]), 'SIGKILL')
    } catch {
      // gone
    }
  }
}
