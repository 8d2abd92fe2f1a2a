import assert from 'node:assert/strict'
import {test} from 'node:test'
import {defaultBackoff, RestartTracker} from '../../src/runner/restart-policy.js'

const crash = {code: 1, signal: null, ranMs: 10}
const clean = {code: 0, signal: null, ranMs: 10}

test('backoff doubles from 500 ms up to the 30 s cap', () => {
  const tracker = new RestartTracker({policy: 'always'})
  const delays = Array.from({length: 9}, () => tracker.next(crash)).map((d) => (d.restart ? d.delayMs : -1))
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000])
})

test('the third quick restart in a row is a crash loop; a stable run starts over', () => {
  const tracker = new RestartTracker({policy: 'always'})
  assert.deepEqual([1, 2, 3].map(() => tracker.next(crash)).map((d) => d.restart && d.crashLoop), [false, false, true])
  const afterStable = tracker.next({...crash, ranMs: defaultBackoff.stableMs})
  assert.deepEqual(afterStable, {restart: true, delayMs: 500, attempt: 1, crashLoop: false})
  assert.equal(tracker.crashLoop, false)
})

test('on-failure: clean exits end it, failures count against max_retries until a stable run', () => {
  const tracker = new RestartTracker({policy: 'on-failure', maxRetries: 1})
  assert.deepEqual(tracker.next(clean), {restart: false, reason: 'clean-exit'})
  assert.equal(tracker.next({code: null, signal: 'SIGSEGV', ranMs: 10}).restart, true)
  assert.deepEqual(tracker.next(crash), {restart: false, reason: 'retries-exhausted'})
  assert.equal(tracker.next({...crash, ranMs: 60_000}).restart, true)
})

test('never restarts, whatever the exit; reset() forgets the streak', () => {
  assert.deepEqual(new RestartTracker({policy: 'never'}).next(crash), {restart: false, reason: 'policy-never'})
  const tracker = new RestartTracker({policy: 'on-failure', maxRetries: 1})
  tracker.next(crash)
  tracker.reset()
  assert.equal(tracker.next(crash).restart, true)
})
