import assert from 'node:assert/strict'
import {test} from 'node:test'
import {LocatedError} from '../../src/errors.js'
import {flyEnv, machineId, parseDotenv, reservedEnvNames, ulid} from '../../src/runner/fly-env.js'

test('machine ids are 14 hex digits and distinct', () => {
  const ids = new Set(Array.from({length: 100}, machineId))
  assert.equal(ids.size, 100)
  for (const id of ids) assert.match(id, /^[0-9a-f]{14}$/)
})

test('ULIDs are 26 Crockford characters, ordered by time', () => {
  const a = ulid(1_700_000_000_000)
  const b = ulid(1_700_000_000_001)
  assert.match(a, /^[0-9A-HJKMNP-TV-Z]{26}$/)
  assert.ok(a.slice(0, 10) < b.slice(0, 10))
  assert.equal(ulid(0).slice(0, 10), '0000000000')
})

test('dotenv: compose-spec quoting, comments, export, interpolation, multi-line', () => {
  const text = [
    '# comment',
    'export A=plain # trailing comment',
    'B=x#not-a-comment',
    "C='literal $A \\n'",
    'D="escaped\\nline ${A} \\$A"',
    'E=',
    'F="first',
    'second"',
    'G = spaced',
    'H=${MISSING:-fallback}',
    '',
  ].join('\r\n')
  assert.deepEqual(parseDotenv(text, '.env'), {
    A: 'plain', B: 'x#not-a-comment', C: 'literal $A \\n', D: 'escaped\nline plain $A', E: '',
    F: 'first\nsecond', G: 'spaced', H: 'fallback',
  })
})

test('dotenv errors are located and never show the value', () => {
  assert.throws(() => parseDotenv('OK=1\nthis is secret-value\n', '.env.web'), (error: unknown) => {
    assert.ok(error instanceof LocatedError)
    assert.equal(error.message.startsWith('.env.web:2:1: '), true)
    assert.doesNotMatch(error.message, /secret-value/)
    return true
  })
  assert.throws(() => parseDotenv('TOKEN="abc\n', '.env'), /\.env:1:1: unterminated " quote in the value of TOKEN/)
})

test('Fly precedence: [env] < group/region < secrets < platform variables', () => {
  const env = flyEnv({
    app: 'shop', group: 'web', machineId: '0123456789abcd', region: 'ams', privateIp: '::ffff:127.0.0.2',
    memoryMb: 512, imageRef: 'registry.fly.io/shop:deployment-X', machineVersion: 'V',
    configEnv: {DATABASE_URL: 'from-env', FLY_PROCESS_GROUP: 'nope', FLY_APP_NAME: 'nope', LOG_LEVEL: 'info'},
    secrets: {DATABASE_URL: 'from-secret'},
  })
  assert.equal(env.DATABASE_URL, 'from-secret')
  assert.equal(env.LOG_LEVEL, 'info')
  assert.equal(env.FLY_PROCESS_GROUP, 'web')
  assert.equal(env.FLY_APP_NAME, 'shop')
  assert.equal(env.FLY_ALLOC_ID, env.FLY_MACHINE_ID)
  assert.equal(env.FLY_VM_MEMORY_MB, '512')
  assert.equal(env.PRIMARY_REGION, 'ams')
  assert.deepEqual(reservedEnvNames({FLY_APP_NAME: 'x', B: 'y', FLY_X: 'z'}), ['FLY_APP_NAME', 'FLY_X'])
})
