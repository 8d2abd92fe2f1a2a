/**
 * Nothing survives the supervisor, however it ends: a driver process (bench/up/driver.ts, the
 * stand-in for `flotilla up`) runs shells with grandchildren, a signal-ignoring process and a
 * process that escaped its group with setsid; then the driver gets Ctrl-C (SIGINT to its whole
 * process group, as a terminal sends it), SIGTERM (`kill PID`) or SIGKILL, and /proc must hold
 * no live process carrying the test's marker.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {repoRoot, tempDir} from '../helpers/repo.js'
import {killMarked, leftovers, marked, markerName, newMarker} from './support.js'

const procfile = [
  'shell: sleep 600; true', // sleep is a real grandchild: sh cannot exec it
  "stubborn: trap '' INT TERM; sleep 600; true", // ignores the kill signal: needs the SIGKILL escalation
  'fanout: sleep 600 & sleep 600 & wait',
  'escapee: setsid sleep 600 & sleep 600; true', // leaves its process group (and session)
  "graceful: trap 'echo > got-sigint; exit 0' INT; sleep 600 & wait", // proves kill_signal came first
].join('\n')
const expected = 5 + 7 // a sh per entry; sleeps: 1 + 1 + 2 + 2 (the setsid'd one included) + 1

for (const [how, send, exitSignal] of [
  ['Ctrl-C (SIGINT to the process group)', (pid: number) => process.kill(-pid, 'SIGINT'), null],
  ['SIGTERM to the supervisor', (pid: number) => process.kill(pid, 'SIGTERM'), null],
  ['SIGKILL of the supervisor (the watchdog cleans up)', (pid: number) => process.kill(pid, 'SIGKILL'), 'SIGKILL'],
] as const) {
  test(`no process is left after ${how}`, async (t) => {
    const dir = await tempDir(t)
    const marker = newMarker()
    t.after(() => killMarked(marker))
    await writeFile(join(dir, 'Procfile'), procfile)
    const driver = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(repoRoot, 'bench/up/driver.ts'), 'Procfile'], {
      cwd: dir, detached: true, stdio: ['ignore', 'ignore', 'pipe'],
      env: {...process.env, [markerName]: marker, DRIVER_KILL_TIMEOUT_MS: '500'},
    })
    t.after(() => driver.kill('SIGKILL'))
    const exited = new Promise<NodeJS.Signals | null>((resolve) => driver.on('exit', (_code, signal) => resolve(signal)))
    await new Promise<void>((resolve, reject) => {
      let err = ''
      driver.stderr.setEncoding('utf8').on('data', (d: string) => {
        err += d
        if (err.includes('driver: 5 running')) resolve()
      })
      driver.on('exit', () => reject(new Error(`driver exited early: ${err}`)))
    })
    // `running` means spawned; give the shells a moment to start their grandchildren.
    let before: string[] = []
    for (let i = 0; i < 100 && before.length < expected; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      before = marked(marker).filter((p) => p.includes('sleep 600') && !p.includes('flotilla-watchdog'))
    }
    assert.equal(before.length, expected, `expected ${expected} workload processes, found:\n${before.join('\n')}`)

    send(driver.pid!)
    assert.equal(await exited, exitSignal)
    assert.deepEqual(await leftovers(marker, 10_000), [])
    assert.ok(existsSync(join(dir, 'got-sigint')), 'the kill signal (SIGINT) reached the group before SIGKILL')
  })
}
