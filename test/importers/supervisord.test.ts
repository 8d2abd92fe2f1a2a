import assert from 'node:assert/strict'
import {chmod, mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {shellSplit} from '../../src/config/index.js'
import {LocatedError} from '../../src/errors.js'
import {importFile, type ImportPlan} from '../../src/importers/index.js'
import {keyValuePairs, percentFormat, shlexSplit} from '../../src/importers/supervisord/python-text.js'
import {tempDir} from '../helpers/repo.js'

async function plan(t: Parameters<typeof tempDir>[0], files: Record<string, string>): Promise<{plan: ImportPlan; dir: string}> {
  const dir = await tempDir(t)
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir, name, '..'), {recursive: true})
    await writeFile(join(dir, name), text)
  }
  return {plan: await importFile('supervisord', join(dir, 'supervisord.conf')), dir}
}
const group = (p: ImportPlan, name: string) => p.groups.find((g) => g.name === name)!
const codes = (p: ImportPlan) => p.diagnostics.map((d) => d.code)

test('Python %-formatting: names, zero padding, %% and stray %', () => {
  assert.equal(percentFormat('--port=90%(process_num)02d 100%%', (n) => (n === 'process_num' ? 1 : undefined)), '--port=9001 100%')
  assert.throws(() => percentFormat('50% off', () => undefined), /badly formatted/)
  assert.throws(() => percentFormat('%(nope)s', () => undefined), /cannot be expanded/)
})

test('environment= pairs follow supervisord 4.2 (legacy shlex): commas in quotes, has space -> has, @ is fatal', () => {
  assert.deepEqual(keyValuePairs('PATH="/opt/bin:/usr/bin",MSG="a,b",URL=http://x:8080/a'), {PATH: '/opt/bin:/usr/bin', MSG: 'a,b', URL: 'http://x:8080/a'})
  assert.deepEqual(keyValuePairs('A=has space'), {A: 'has'})
  assert.throws(() => keyValuePairs('DSN=postgres://u:p@h/db'), /unexpected end/)
})

test('shlex.split keeps quoted words and backslash escapes like Python', () => {
  assert.deepEqual(shlexSplit(`a "b c" 'd e' f\\ g "h\\"i"`), ['a', 'b c', 'd e', 'f g', 'h"i'])
  assert.throws(() => shlexSplit(`bash -c 'foo`), /no closing quotation/)
})

test('INI rules: ":" delimiter, upper-case keys, continuation lines, inline comments, merged sections', async (t) => {
  const {plan: p} = await plan(t, {'supervisord.conf': [
    '[program:web]',
    'Command: gunicorn app   ; the server',
    'environment=A="1",',
    '    B="two"',
    '# full-line comment',
    '[program:web]',
    'stopsignal=3',
    'stopwaitsecs = 30',
    'autorestart=unexpected',
    'exitcodes=0,2',
  ].join('\n')})
  const web = group(p, 'web')
  assert.equal(web.command, 'gunicorn app')
  assert.deepEqual(web.env, {A: '1', B: 'two'})
  assert.equal(web.killSignal, 'SIGQUIT')
  assert.equal(web.killTimeout, 30)
  assert.deepEqual(web.restart, {policy: 'on-failure', retries: 3})
  assert.ok(codes(p).includes('W_EXITCODES'))
})

test('an inline ";" inside quotes cuts the command as supervisord does, and the error says so', async (t) => {
  await assert.rejects(plan(t, {'supervisord.conf': "[program:x]\ncommand=bash -c 'foo ; bar'\n"}), (error: LocatedError) =>
    error.code === 'E_SUPERVISORD_VALUE' && error.location.line === 2 && /cut the line at ";/.test(error.message))
})

test('%(ENV_X)s is deferred to ${X} under sh -c, unless environment= defines X; directory becomes cd', async (t) => {
  const {plan: p} = await plan(t, {'supervisord.conf': [
    '[supervisord]',
    'environment=GLOBAL="g",HOME_DIR="%(ENV_HOME)s/x"',
    '[program:worker]',
    'directory=/srv/%(program_name)s',
    'environment=FOO="bar",PCT="100%%"',
    'command=run --foo %(ENV_FOO)s --global=%(ENV_GLOBAL)s --level "%(ENV_LEVEL)s" %(ENV_ARGS)s',
  ].join('\n')})
  const worker = group(p, 'worker')
  assert.deepEqual(shellSplit(worker.command), ['sh', '-c', `cd /srv/worker && exec env HOME_DIR="\${HOME}"/x run --foo bar --global=g --level "\${LEVEL}" \${ARGS}`])
  assert.deepEqual(worker.env, {FOO: 'bar', PCT: '100%'})
  assert.deepEqual(p.env, {GLOBAL: 'g'})
  assert.deepEqual(p.diagnostics.filter((d) => d.code === 'W_ENV_AT_RUNTIME').map((d) => d.message.match(/ENV_(\w+)/)?.[1]), ['HOME', 'LEVEL', 'ARGS'])
})

test('numprocs, autostart=false, user, priority, [group:x], event listeners and control sections are reported', async (t) => {
  const {plan: p} = await plan(t, {'supervisord.conf': [
    '[unix_http_server]', 'file=/tmp/s.sock',
    '[rpcinterface:supervisor]', 'supervisor.rpcinterface_factory = x',
    '[program:web]', 'command=web --port=90%(process_num)02d', 'numprocs=2', 'numprocs_start=1',
    'process_name=%(program_name)s_%(process_num)02d', 'user=www-data', 'priority=5',
    '[program:cron]', 'command=cron -f', 'autostart=false',
    '[group:site]', 'programs=web,cron',
    '[eventlistener:crash]', 'command=crash.sh', 'events=PROCESS_STATE_FATAL',
  ].join('\n')})
  assert.equal(group(p, 'web').command, 'web --port=9001')
  assert.equal(group(p, 'web').count, 2)
  assert.equal(group(p, 'cron').autostart, false)
  for (const code of ['W_PROCESS_NUM', 'W_USER', 'W_PRIORITY', 'W_AUTOSTART', 'W_NOT_CARRIED']) assert.ok(codes(p).includes(code), code)
  assert.equal(p.diagnostics.filter((d) => d.code === 'W_NOT_CARRIED').length, 3)
  assert.ok(p.mappings.some((m) => m.from.startsWith('[group:site]')))
})

test('[include] globs are relative to the file, sorted, merged last-wins; nested includes are ignored', async (t) => {
  const {plan: p} = await plan(t, {
    'supervisord.conf': '[include]\nfiles = conf.d/*.conf missing/*.conf /etc/supervisor/conf.d/*.conf\n[program:web]\ncommand=old\n',
    'conf.d/a.conf': '[program:web]\ncommand=new %(here)s\n',
    'conf.d/b.conf': '[program:worker]\ncommand=work\n[include]\nfiles=../x/*.conf\n',
  })
  assert.deepEqual(p.groups.map((g) => g.name), ['web', 'worker'])
  assert.match(group(p, 'web').command, /^new \/.*\/conf\.d$/)
  for (const code of ['W_INCLUDE_NO_MATCH', 'W_INCLUDE_IMAGE_PATH', 'W_INCLUDE_NESTED']) assert.ok(codes(p).includes(code), code)
})

test('include cycles and unreadable includes are located errors', async (t) => {
  await assert.rejects(plan(t, {'supervisord.conf': '[include]\nfiles=*.conf\n[program:a]\ncommand=a\n'}),
    (e: LocatedError) => e.code === 'E_INCLUDE_CYCLE' && e.location.line === 2)
  const dir = await tempDir(t)
  await writeFile(join(dir, 'supervisord.conf'), '[include]\nfiles=conf.d/*.conf\n')
  await mkdir(join(dir, 'conf.d'))
  await writeFile(join(dir, 'conf.d', 'x.conf'), '\xff\xfe')
  await writeFile(join(dir, 'conf.d', 'x.conf'), Buffer.from([0xff, 0xfe]))
  await assert.rejects(importFile('supervisord', join(dir, 'supervisord.conf')), (e: LocatedError) => e.code === 'E_INCLUDE_READ')
  if (process.getuid?.() !== 0) {
    await chmod(join(dir, 'conf.d', 'x.conf'), 0)
    await assert.rejects(importFile('supervisord', join(dir, 'supervisord.conf')), (e: LocatedError) => e.code === 'E_INCLUDE_READ')
  }
})

test('two programs whose names become the same group are an error; names are sanitised to DNS labels', async (t) => {
  const {plan: p} = await plan(t, {'supervisord.conf': '[program:Web_1]\ncommand=a\n[program:web-1]\ncommand=b\n'})
  assert.deepEqual(p.groups.map((g) => g.name), ['web-1'])
  assert.deepEqual(p.diagnostics.map((d) => [d.code, d.line]), [['W_GROUP_RENAMED', 1], ['E_GROUP_COLLISION', 3]])
})
