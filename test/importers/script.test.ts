import assert from 'node:assert/strict'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {shellSplit} from '../../src/config/index.js'
import {LocatedError} from '../../src/errors.js'
import {importFile} from '../../src/importers/index.js'
import {tempDir} from '../helpers/repo.js'

async function script(t: Parameters<typeof tempDir>[0], text: string) {
  const file = join(await tempDir(t), 'start.sh')
  await writeFile(file, text)
  return importFile('script', file)
}

test('cmd & + wait -n: one group per job; set -m, export, cd and job control recognised', async (t) => {
  const p = await script(t, [
    '#!/bin/bash', 'set -m', 'export RAILS_ENV=production', 'cd /app',
    'bundle exec sidekiq -q default &', 'WORKER_PID=$!', 'python -m app.worker --port "$PORT" &', 'wait -n', 'exit $?',
  ].join('\n'))
  assert.deepEqual(p.groups.map((g) => [g.name, shellSplit(g.command)]), [
    ['sidekiq', ['sh', '-c', 'cd /app && exec bundle exec sidekiq -q default']],
    ['worker', ['sh', '-c', 'cd /app && exec python -m app.worker --port "$PORT"']],
  ])
  assert.deepEqual(p.env, {RAILS_ENV: 'production'})
  assert.deepEqual(p.diagnostics, [])
  assert.ok(p.mappings.some((m) => m.from === 'set -m') && p.mappings.some((m) => m.from === 'wait -n'))
})

test('the main process is the final exec (or the first command after the last job); fg %1 is job control', async (t) => {
  const p = await script(t, 'node server.js &\nmigrate.sh\nexec nginx -g "daemon off;"\n')
  assert.deepEqual(p.groups.map((g) => [g.name, g.command]), [['server', 'node server.js'], ['nginx', "nginx -g 'daemon off;'"]])
  assert.deepEqual(p.diagnostics.map((d) => [d.code, d.line]), [['W_SCRIPT_UNMAPPED', 2]])
  const q = await script(t, 'redis-server &\nworker --fast &\nfg %1\n')
  assert.deepEqual(q.groups.map((g) => g.name), ['redis-server', 'worker'])
})

test('a syntax error is located; a script without top-level processes runs whole through sh -c', async (t) => {
  await assert.rejects(script(t, 'if true; then\n  echo\ndone\n'), (e: LocatedError) => e.code === 'E_SHELL_SYNTAX' && e.location.line === 3)
  const p = await script(t, '#!/bin/sh\nif [ -n "$A" ]; then\n  a &\nfi\nwait\n')
  assert.deepEqual(p.groups.map((g) => [g.name, shellSplit(g.command)]), [['start', ['sh', '-c', 'if [ -n "$A" ]; then\n  a &\nfi\nwait\n']]])
  assert.deepEqual(p.diagnostics.map((d) => d.code), ['W_SCRIPT_UNMAPPED', 'W_SCRIPT_WHOLE'])
})
