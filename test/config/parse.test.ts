import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {formatDuration, parseDuration, parseToml, shellSplit} from '../../src/config/index.js'
import {LocatedError} from '../../src/errors.js'

const located = (fn: () => unknown): LocatedError => {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof LocatedError, `expected a LocatedError, got ${String(error)}`)
    return error
  }
  assert.fail('expected a LocatedError')
}

describe('parseToml', () => {
  it('reports malformed TOML with smol-toml’s 1-based line and column', () => {
    const error = located(() => parseToml('app = "x"\n[processes]\nweb = "bin/rails server\n', 'fly.toml'))
    assert.equal(error.code, 'E_TOML_SYNTAX')
    assert.deepEqual(error.location, {file: 'fly.toml', line: 3, column: 24})
    assert.match(error.message, /^fly\.toml:3:24: /)
    assert.doesNotMatch(error.message, /\n/, 'the code frame is not part of the message')
  })

  it('reports a redefined table where it happens', () => {
    const error = located(() => parseToml('processes = []\n[processes]\nweb = "x"\n', 'f.toml'))
    assert.equal(error.location.line, 2)
  })

  it('accepts CRLF line endings, comments included', () => {
    const text = '# comment\r\napp = "shop" # trailing\r\n[env]\r\n  PORT = "8080"\r\n'
    assert.deepEqual({...parseToml(text, 'f')}, {app: 'shop', env: parseToml('PORT = "8080"', 'g')})
  })

  it('strips a UTF-8 BOM from bytes and from strings', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('app = "x"\n')])
    assert.equal(parseToml(bytes, 'f').app, 'x')
    assert.equal(parseToml('\ufeffapp = "y"', 'f').app, 'y')
  })

  it('rejects invalid UTF-8 with the position of the bad byte', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('app = "x"\n[env]\n  A = "é'), 0xff, 0x22, 0x0a])
    const error = located(() => parseToml(bytes, 'fly.toml'))
    assert.equal(error.code, 'E_ENCODING')
    assert.deepEqual([error.location.line, error.location.column], [3, 9])
  })

  it('rejects a truncated multi-byte sequence instead of decoding U+FFFD', () => {
    const bytes = new Uint8Array([0x61, 0x3d, 0x22, 0xe2, 0x82, 0x22])
    assert.equal(located(() => parseToml(bytes, 'f')).code, 'E_ENCODING')
  })
})

describe('shellSplit (google/shlex rules)', () => {
  const cases: [string, string[]][] = [
    ['bin/rails server -b [::]', ['bin/rails', 'server', '-b', '[::]']],
    ['  spaced \t out\n', ['spaced', 'out']],
    [`bash -c "echo \\"$HOME\\" && ls"`, ['bash', '-c', 'echo "$HOME" && ls']],
    [`sh -c 'a "b" \\c'`, ['sh', '-c', 'a "b" \\c']],
    ['a\\ b c', ['a b', 'c']],
    [`x'' ''`, ['x', '']],
    ['run # the comment', ['run']],
    ['a#b c', ['a#b', 'c']],
    ['one # first\ntwo', ['one', 'two']],
    ['"dq\\nx"', ['dqnx']],
    ['', []],
  ]
  for (const [input, argv] of cases) it(JSON.stringify(input), () => assert.deepEqual(shellSplit(input), argv))

  it('fails on an unclosed quote or a trailing escape', () => {
    assert.throws(() => shellSplit('echo "unterminated'), {code: 'E_SHELL_SPLIT', message: /closing quote/})
    assert.throws(() => shellSplit("echo 'x"), {code: 'E_SHELL_SPLIT'})
    assert.throws(() => shellSplit('echo x\\'), {code: 'E_SHELL_SPLIT', message: /escape/})
  })
})

describe('parseDuration / formatDuration (Go time.Duration)', () => {
  const cases: [string, number][] = [
    ['10s', 10_000], ['1m30s', 90_000], ['500ms', 500], ['1.5h', 5_400_000], ['-2s', -2000], ['0', 0],
    ['250us', 0.25], ['250µs', 0.25], ['1h2m3s4ms', 3_723_004], ['.5s', 500],
  ]
  for (const [text, ms] of cases) it(text, () => assert.equal(parseDuration(text), ms))

  it('reads a bare number as nanoseconds, as fly-go does', () => assert.equal(parseDuration(10_000_000_000), 10_000))

  it('rejects what Go rejects', () => {
    for (const bad of ['10', '1d', 's', '', '1 s', '--1s']) assert.throws(() => parseDuration(bad), {code: 'E_DURATION'}, bad)
  })

  it('formats back to strings Go parses to the same value', () => {
    for (const ms of [0, 1, 500, 1000, 1500, 60_000, 90_000, 3_600_000, 3_723_004, 0.25]) {
      assert.equal(parseDuration(formatDuration(ms)), ms)
    }
    assert.deepEqual([formatDuration(10_000), formatDuration(90_000), formatDuration(3_600_000)], ['10s', '1m30s', '1h'])
  })
})
