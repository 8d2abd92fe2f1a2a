/** The supervisor on real processes and real signals: stopping, escalation, restart policies. */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {FlotillaError} from '../../src/errors.js'
import {type Backoff, defaultBackoff} from '../../src/runner/restart-policy.js'
import {type StateEvent, Supervisor} from '../../src/runner/supervisor.js'
import {killMarked, marked, newMarker, recordStates, sh, spec, waitFor, waitState} from './support.js'

// Restarts in milliseconds, so policies are observed without waiting for real backoff delays.
const quick: Backoff = {...defaultBackoff, initialMs: 5, maxMs: 20}

function setup(t: {after(fn: () => unknown): void}, backoff: Backoff = quick) {
  const marker = newMarker()
  const supervisor = new Supervisor({backoff})
  t.after(async () => {
    await supervisor.close()
    killMarked(marker)
  })
  return {marker, supervisor, states: recordStates(supervisor)}
}

const sequence = (states: {state: string}[]) => states.map((event) => event.state)

test('stop sends kill_signal to the whole group: grandchildren of sh -c go too', async (t) => {
  const {marker, supervisor} = setup(t)
  const key = supervisor.start(spec(marker, {argv: sh('sh -c "sleep 600; true"; true')}))
  await waitState(supervisor, key, 'running')
  for (let i = 0; i < 100 && marked(marker).length < 3; i++) await new Promise((r) => setTimeout(r, 10))
  assert.equal(marked(marker).length, 3, 'sh, its sh and that one\'s sleep are running')
  const status = await supervisor.stop(key)
  assert.equal(status.state, 'stopped')
  assert.equal(status.signal, 'SIGINT')
  assert.deepEqual(marked(marker), [])
})

test('a group that ignores kill_signal is SIGKILLed after kill_timeout', async (t) => {
  const {marker, supervisor, states} = setup(t)
  const key = supervisor.start(spec(marker, {argv: sh("trap '' INT; echo ready; sleep 600; true"), killTimeoutMs: 300}))
  await waitFor(supervisor, 'line', (line: {line: string}) => line.line === 'ready')
  const status = await supervisor.stop(key)
  assert.equal(status.signal, 'SIGKILL')
  assert.deepEqual(sequence(states), ['starting', 'running', 'stopping', 'stopping', 'stopped'])
  assert.equal(states[3]!.reason, 'still running 300 ms after SIGINT: sending SIGKILL')
  assert.match(states.at(-1)!.reason!, /killed after kill timeout/)
  assert.deepEqual(marked(marker), [])
})

test('when the main process exits, what it left in its group is stopped too', async (t) => {
  const {marker, supervisor} = setup(t)
  const key = supervisor.start(spec(marker, {argv: sh('sleep 600 & exit 0'), killTimeoutMs: 300}))
  const stopping = await waitState(supervisor, key, 'stopping')
  assert.equal(stopping.reason, 'main process exited; stopping what it left running')
  const stopped = await waitState(supervisor, key, 'stopped')
  assert.equal(stopped.exitCode, 0)
  assert.deepEqual(marked(marker), [])
})

test('on-failure restarts a failing process max_retries times, then reports it fatal', async (t) => {
  const {marker, supervisor, states} = setup(t)
  const key = supervisor.start(spec(marker, {argv: sh('echo try; exit 1'), restart: {policy: 'on-failure', maxRetries: 2}}))
  const fatal = await waitState(supervisor, key, 'fatal')
  assert.equal(fatal.restarts, 2)
  assert.equal(fatal.exitCode, 1)
  assert.deepEqual(sequence(states), [
    'starting', 'running', 'crashed', 'backoff',
    'starting', 'running', 'crashed', 'backoff',
    'starting', 'running', 'crashed', 'fatal',
  ])
  assert.deepEqual(states.filter((e) => e.state === 'backoff').map((e) => e.delayMs), [5, 10])
  assert.equal(supervisor.recent(key).length, 3, 'each run wrote its line')
})

test('on-failure leaves a clean exit alone', async (t) => {
  const {marker, supervisor, states} = setup(t)
  const key = supervisor.start(spec(marker, {argv: sh('exit 0'), restart: {policy: 'on-failure'}}))
  await waitState(supervisor, key, 'stopped')
  await new Promise((r) => setTimeout(r, 50)) // longer than any backoff here: no restart follows
  assert.deepEqual(sequence(states), ['starting', 'running', 'stopped'])
})

test('always restarts even clean exits, and flags a crash loop instead of hiding it', async (t) => {
  const {marker, supervisor} = setup(t)
  const key = supervisor.start(spec(marker, {argv: sh('exit 0'), restart: {policy: 'always'}}))
  const looping = await waitFor<StateEvent>(supervisor, 'state', (e) => e.state === 'backoff' && e.crashLoop)
  assert.ok(looping.restarts >= 2)
  const status = await supervisor.stop(key)
  assert.equal(status.state, 'stopped')
})

test('never: a crash is final, and waitHealthy says which instance failed and how', async (t) => {
  const {marker, supervisor} = setup(t)
  const key = supervisor.start(spec(marker, {argv: sh('exit 7')}))
  await waitState(supervisor, key, 'crashed')
  await assert.rejects(supervisor.waitHealthy(), (error: FlotillaError) => {
    assert.equal(error.code, 'E_INSTANCE_FAILED')
    assert.equal(error.message, `${key} crashed: exit code 7`)
    return true
  })
})

test('a missing command or working directory is reported, not thrown', async (t) => {
  const {marker, supervisor} = setup(t)
  const missing = supervisor.start(spec(marker, {argv: ['flotilla-no-such-command']}))
  const nowhere = supervisor.start(spec(marker, {app: 'other', argv: ['true'], cwd: '/nonexistent/flotilla'}))
  const [a, b] = await Promise.all([waitState(supervisor, missing, 'crashed'), waitState(supervisor, nowhere, 'crashed')])
  assert.equal(a.reason, 'command not found: flotilla-no-such-command')
  assert.equal(b.reason, 'working directory not found: /nonexistent/flotilla')
})

test('restart() starts a stopped instance again; start() refuses a duplicate while it runs', async (t) => {
  const {marker, supervisor} = setup(t)
  const key = supervisor.start(spec(marker, {argv: sh('sleep 600; true')}))
  await waitState(supervisor, key, 'running')
  assert.throws(() => supervisor.start(spec(marker, {argv: ['true']})), {code: 'E_INSTANCE_EXISTS'})
  const before = supervisor.status()[0]!.pid
  const running = waitState(supervisor, key, 'running')
  const status = await supervisor.restart(key)
  await running
  assert.equal(status.restarts, 0, 'a requested restart is not a crash restart')
  assert.notEqual(supervisor.status()[0]!.pid, before)
  await supervisor.waitHealthy()
})

test('stopAll stops twenty instances in parallel and leaves nothing behind', async (t) => {
  const {marker, supervisor} = setup(t)
  for (let i = 0; i < 20; i++) supervisor.start(spec(marker, {index: i, argv: sh('sleep 600; true')}))
  await supervisor.waitHealthy()
  await supervisor.stopAll()
  assert.ok(supervisor.status().every((s) => s.state === 'stopped'))
  assert.deepEqual(marked(marker), [])
})
