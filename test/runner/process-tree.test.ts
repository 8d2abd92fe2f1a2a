import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {test} from 'node:test'
import {findByEnv, GroupReaper, signalGroup, signalName} from '../../src/runner/process-tree.js'
import {killMarked, markerName, newMarker} from './support.js'

test('signal names are accepted the ways fly.toml writes them', () => {
  assert.equal(signalName('SIGINT'), 'SIGINT')
  assert.equal(signalName('term'), 'SIGTERM')
  assert.equal(signalName('SIGNOPE'), undefined)
})

test('a group counts as gone only when no live member is left, zombies excluded', async (t) => {
  const marker = newMarker()
  t.after(() => killMarked(marker))
  // The leader exits at once and leaves an orphan in the group: its exit alone must not count.
  const child = spawn('/bin/sh', ['-c', 'sleep 600 & exit 0'], {detached: true, stdio: 'ignore', env: {...process.env, [markerName]: marker}})
  await new Promise((resolve) => child.once('exit', resolve))
  const reaper = new GroupReaper()
  assert.equal(await reaper.waitGone(child.pid!, 100), false)
  assert.equal(findByEnv(markerName, marker).length, 1, 'the orphaned sleep is found by its environment')
  assert.equal(signalGroup(child.pid!, 'SIGKILL'), true)
  assert.equal(await reaper.waitGone(child.pid!, 5000), true)
  assert.deepEqual(findByEnv(markerName, marker), [])
})
