import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {test} from 'node:test'
import {quoteArgv, quoteWord, shellSplit} from '../../src/config/index.js'

const awkward = ['plain', '', 'two words', "it's", '"double"', '$HOME', 'a\\b', '#not-a-comment', 'tab\there', 'ünï', '--bind=[::]:8080']

test('quoteArgv is the inverse of shellSplit (google/shlex) for awkward words', () => {
  assert.deepEqual(shellSplit(quoteArgv(awkward)), awkward)
  assert.equal(quoteWord('web.js'), 'web.js')
})

test('sh reads quoteArgv lines back as the same argv, with no expansion', () => {
  const printed = execFileSync('sh', ['-c', `printf '%s\\0' ${quoteArgv(awkward)}`], {encoding: 'utf8'})
  assert.deepEqual(printed.split('\0').slice(0, -1), awkward)
})
