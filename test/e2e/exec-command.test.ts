/**
 * `flotilla exec` through the built CLI: CMD runs once the apps are healthy, resolves `.internal`
 * through the preload, its exit status becomes exec's, the apps' logs are shown when it fails,
 * and nothing it started survives (a /proc scan for a marker only this test's processes carry).
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {probeIsolated} from '../../src/network/isolated/index.js'
import {freePort, markedPids, newMark, noneLeft} from '../helpers/processes.js'
import {runCli} from '../helpers/repo.js'
import {neverHealthyFlyToml, workspaceDir} from '../helpers/workspace.js'

test('exec -- node -e: waits for health, resolves .internal, returns the exit code, leaves nothing', async (t) => {
  const mark = newMark(t)
  const port = await freePort()
  const dir = await workspaceDir(t, {
    'echo.mjs': `import {createServer} from 'node:http'
createServer((req, res) => res.end('echo ' + process.env.FLY_APP_NAME + ' ' + req.url)).listen(${port}, '::', () => console.log('echo up'))
process.on('SIGINT', () => process.exit(0))
`,
    'fly.toml': `app = "echo"
[processes]
app = "node echo.mjs"
[http_service]
internal_port = ${port}
processes = ["app"]
  [[http_service.checks]]
  path = "/"
  interval = "5s"
`,
  }, 'flotilla-exec-')
  const cli = (args: string[], code = '0') => runCli(args, {cwd: dir, env: {TEST_MARK: mark, CODE: code}})

  const call = `fetch('http://echo.internal:${port}/ping').then((r) => r.text()).then((t) => { console.log(t); process.exit(Number(process.env.CODE)) })`
  const ok = await cli(['exec', '--', 'node', '-e', call])
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal(ok.stdout, 'echo echo /ping\n')
  assert.equal(ok.stderr, '')
  await noneLeft(mark)

  const failed = await cli(['exec', '--', 'node', '-e', call], '7')
  assert.equal(failed.code, 7)
  assert.match(failed.stderr, /exited with status 7; the apps' logs .*exec\.log\):\n(.*\n)*echo\[app\]\.0 \| echo up/)
  await noneLeft(mark)

  const missing = await cli(['exec', '--', 'no-such-command-here'])
  assert.equal(missing.code, 127, 'a shell\'s status for a command not found')
  assert.equal(missing.stderr, 'flotilla: no-such-command-here: command not found\n')
  await noneLeft(mark)

  const notExecutable = await cli(['exec', '--', './echo.mjs'])
  assert.equal(notExecutable.code, 126, 'a shell\'s status for a command it cannot execute')
  assert.match(notExecutable.stderr, /cannot run \.\/echo\.mjs: .*EACCES/)
  await noneLeft(mark)
})

test('exec reuses a running up of the directory and leaves it running', async (t) => {
  const mark = newMark(t)
  const dir = await workspaceDir(t, {Procfile: 'sleeper: exec sleep 600\n'}, 'flotilla-exec-')
  assert.equal((await runCli(['up', '--detach', '--network', 'loopback'], {cwd: dir, env: {TEST_MARK: mark}})).code, 0)
  const running = await markedPids(mark)
  assert.ok(running.length >= 2, 'up and sleep')
  const result = await runCli(['exec', '--', 'node', '-e', 'process.exit(process.env.FLOTILLA_DNS ? 0 : 1)'], {cwd: dir})
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(await markedPids(mark), running)
  assert.equal((await runCli(['down'], {cwd: dir})).code, 0)
  await noneLeft(mark)
})

test('exec does not run the command when an app crashes at start, and says why', async (t) => {
  const mark = newMark(t)
  const dir = await workspaceDir(t, {Procfile: 'broken: echo boom >&2; exit 3\n'}, 'flotilla-exec-')
  const result = await runCli(['exec', '--', 'node', '-e', 'console.log("ran")'], {cwd: dir, env: {TEST_MARK: mark}})
  assert.equal(result.code, 3)
  assert.equal(result.stdout, '')
  assert.match(result.stderr, /\[broken\]\.0 crashed \(exit code 3\); the end of .*exec\.log:\n.*\[broken\]\.0 ! boom/)
  await noneLeft(mark)
})

const isolated = await probeIsolated()
test('exec refuses an up on the isolated network (its command could not reach the apps), saying what to do', {skip: !isolated.available && isolated.reason}, async (t) => {
  const mark = newMark(t)
  const dir = await workspaceDir(t, {Procfile: 'sleeper: exec sleep 600\n'}, 'flotilla-exec-')
  assert.equal((await runCli(['up', '--detach', '--network', 'isolated'], {cwd: dir, env: {TEST_MARK: mark}})).code, 0)
  const result = await runCli(['exec', '--', 'node', '-e', 'console.log("ran")'], {cwd: dir})
  assert.equal(result.code, 3)
  assert.equal(result.stdout, '')
  assert.match(result.stderr, /isolated network.*flotilla down.*flotilla up --network loopback/s)
  assert.equal((await runCli(['down'], {cwd: dir})).code, 0)
  await noneLeft(mark)
})

test('exec gives up after --wait-timeout when a check never passes, naming the instance and its last check, and runs nothing', async (t) => {
  const mark = newMark(t)
  const port = await freePort()
  const dir = await workspaceDir(t, {
    'fly.toml': neverHealthyFlyToml(`node -e "require('http').createServer((q, s) => { s.statusCode = 404; s.end() }).listen(${port}, '::')"`, port),
  }, 'flotilla-exec-')
  const result = await runCli(['exec', '--wait-timeout', '2', '--', 'node', '-e', 'console.log("ran")'], {cwd: dir, env: {TEST_MARK: mark}})
  assert.equal(result.code, 3, result.stderr)
  assert.equal(result.stdout, '')
  assert.match(result.stderr, /not healthy after 2 s: sick\[web\]\.0 critical \(ready: HTTP 404\)/)
  await noneLeft(mark)
})
