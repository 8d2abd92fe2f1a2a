/**
 * For tests that start real `up`s and apps: a marker that every process of one test carries
 * (`TEST_MARK` in its environment, inherited by whatever the CLI starts), found again by scanning
 * /proc, so leftovers are seen independently of flotilla's own bookkeeping; and a free port.
 */
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {once} from 'node:events'
import {readdir, readFile} from 'node:fs/promises'
import {createServer} from 'node:net'

/** The environment variable that carries the marker. */
export const MARK_VAR = 'TEST_MARK'

/**
 * A fresh marker; when the test ends, every process still carrying it is SIGKILLed (by PID).
 * Register it before the test's temp directory, so the processes go before their directory.
 */
export function newMark(t: {after(fn: () => unknown): void}): string {
  const mark = randomBytes(6).toString('hex')
  t.after(async () => {
    for (const {pid} of await marked(mark)) process.kill(pid, 'SIGKILL')
  })
  return mark
}

/** Live processes whose environment carries the marker (a zombie's environment reads empty). */
export async function marked(mark: string): Promise<{pid: number; cmdline: string}[]> {
  const found: {pid: number; cmdline: string}[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const environ = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '')
    if (!environ.split('\0').includes(`${MARK_VAR}=${mark}`)) continue
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'latin1').catch(() => '')
    found.push({pid: Number(entry), cmdline: cmdline.replaceAll('\0', ' ').trim()})
  }
  return found
}

/** The PIDs of the marked processes. */
export const markedPids = async (mark: string): Promise<number[]> => (await marked(mark)).map((p) => p.pid)

/** Polls until `test` holds for the marked processes; fails after `timeoutMs`. */
export async function waitMarked(mark: string, test: (found: {pid: number; cmdline: string}[]) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    const found = await marked(mark)
    if (test(found)) return
    assert.ok(Date.now() < deadline, `${what}: not after ${timeoutMs / 1000} s; marked: ${found.map((p) => `${p.pid} ${p.cmdline}`).join(', ')}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * Waits until no process carries the marker. Instances are gone when `down`/exec/up return;
 * the parent-death guard (a shell that also carries it) exits just after, on its own.
 */
export const noneLeft = (mark: string): Promise<void> => waitMarked(mark, (found) => found.length === 0, 'processes still running')

/** Gone or a zombie: this sandbox's init may never reap a detached `up`. */
export async function running(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  return stat !== undefined && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
}

/** A TCP port free on 127.0.0.1 right now (the OS's pick), for an app config to listen on. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const {port} = server.address() as {port: number}
  await new Promise((resolve) => server.close(resolve))
  return port
}
