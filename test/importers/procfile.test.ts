import assert from 'node:assert/strict'
import {test} from 'node:test'
import {parseProcfile} from '../../src/importers/index.js'

test('parseProcfile keeps foreman entries, skips comments and blank lines, accepts CRLF', () => {
  const text = '# comment\r\nweb: bin/web -p $PORT  \r\n\r\nworker:sidekiq\r\n  indented: no\r\n'
  const {entries, diagnostics} = parseProcfile(text, 'Procfile')
  assert.deepEqual(entries, [
    {name: 'web', command: 'bin/web -p $PORT', line: 2},
    {name: 'worker', command: 'sidekiq', line: 4},
  ])
  assert.deepEqual(diagnostics.map((d) => [d.code, d.line]), [['W_PROCFILE_NO_SPACE', 4], ['W_PROCFILE_IGNORED_LINE', 5]])
})

test('parseProcfile reports duplicates and empty commands as located errors', () => {
  const {entries, diagnostics} = parseProcfile('web: a\nweb: b\nworker:\n', 'Procfile')
  assert.deepEqual(entries.map((e) => e.command), ['a'])
  assert.deepEqual(diagnostics.map((d) => [d.severity, d.code, d.line]), [
    ['error', 'E_PROCFILE_DUPLICATE', 2],
    ['error', 'E_PROCFILE_EMPTY_COMMAND', 3],
  ])
})
