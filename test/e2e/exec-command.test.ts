/**
 * `flotilla exec` through the built CLI: CMD runs once the apps are healthy, resolves `.internal`
 * through the preload, its exit status becomes exec's, the apps' logs are shown when it fails,
 * and nothing it started survives (a /proc scan for a marker only this test's processes carry).
 */
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {once} from 'node:events'
import {readdir, readFile, writeFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {test} from 'node:test'
import {runCli, tempDir} from '../helpers/repo.js'

async function marked(mark: string): Promise<number[]> {
  const pids: number[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const environ = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '')
    if (environ.includes(`TEST_MARK=${mark}`)) pids.push(Number(entry))
  }
  return pids
}

/**
 * Waits until no process carries the marker. Instances are gone when `down`/exec/up return;
 * the parent-death guard (a shell that also carries it) exits just after, on its own.
 */
async function noneLeft(mark: string): Promise<void> {
  for (let tries = 0; ; tries++) {
    const left = await marked(mark)
    if (left.length === 0) return
    assert.ok(tries < 300, `still running after 15 s: ${left.join(' ')}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

test('exec -- node -e: waits for health, resolves .internal, returns the exit code, leaves nothing', async (t) => {
  const mark = randomBytes(6).toString('hex')
  t.after(async () => {
    for (const pid of await marked(mark)) process.kill(pid, 'SIGKILL')
  })
  const dir = await tempDir(t, 'flotilla-exec-')
  const cli = (args: string[], code = '0') => runCli(args, {cwd: dir, env: {TEST_MARK: mark, CODE: code}})
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const {port} = probe.address() as {port: number}
  await new Promise((resolve) => probe.close(resolve))
  await writeFile(join(dir, 'echo.mjs'), `import {createServer} from 'node:http'
createServer((req, res) => res.end('echo ' + process.env.FLY_APP_NAME + ' ' + req.url)).listen(${port}, '::', () => console.log('echo up'))
process.on('SIGINT', () => process.exit(0))
`)
  await writeFile(join(dir, 'fly.toml'), `app = "echo"
[processes]
app = "node echo.mjs"
[http_service]
internal_port = ${port}
processes = ["app"]
  [[http_service.checks]]
  path = "/"
  interval = "5s"
`)

  const call = `fetch('http://echo.internal:${port}/ping').then((r) => r.text()).then((t) => { console.log(t); process.exit(Number(process.env.CODE)) })`
  const ok = await cli(['exec', '--', 'node', '-e', call])
  assert.equal(ok.code, 0, ok.stderr)
  assert.equal(ok.stdout, 'echo echo /ping\n')
  assert.equal(ok.stderr, '')
  await noneLeft(mark)

  const failed = await cli(['exec', '--', 'node', '-e', call], '7')
  assert.equal(failed.code, 7)
  assert.match(failed.stderr, /exited with status 7; the apps' logs .*exec\.log\):\necho\[app\]\.0 \| echo up/)
  await noneLeft(mark)

  const missing = await cli(['exec', '--', 'no-such-command-here'])
  assert.equal(missing.code, 3)
  assert.match(missing.stderr, /cannot run no-such-command-here/)
  await noneLeft(mark)
})

test('exec reuses a running up of the directory and leaves it running', async (t) => {
  const mark = randomBytes(6).toString('hex')
  t.after(async () => {
    for (const pid of await marked(mark)) process.kill(pid, 'SIGKILL')
  })
  const dir = await tempDir(t, 'flotilla-exec-')
  await writeFile(join(dir, 'Procfile'), 'sleeper: exec sleep 600\n')
  assert.equal((await runCli(['up', '--detach'], {cwd: dir, env: {TEST_MARK: mark}})).code, 0)
  const running = await marked(mark)
  assert.ok(running.length >= 2, 'up and sleep')
  const result = await runCli(['exec', '--', 'node', '-e', 'process.exit(process.env.FLOTILLA_DNS ? 0 : 1)'], {cwd: dir})
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(await marked(mark), running)
  assert.equal((await runCli(['down'], {cwd: dir})).code, 0)
  await noneLeft(mark)
})

test('exec does not run the command when an app crashes at start, and says why', async (t) => {
  const mark = randomBytes(6).toString('hex')
  t.after(async () => {
    for (const pid of await marked(mark)) process.kill(pid, 'SIGKILL')
  })
  const dir = await tempDir(t, 'flotilla-exec-')
  await writeFile(join(dir, 'Procfile'), 'broken: echo boom >&2; exit 3\n')
  const result = await runCli(['exec', '--', 'node', '-e', 'console.log("ran")'], {cwd: dir, env: {TEST_MARK: mark}})
  assert.equal(result.code, 3)
  assert.equal(result.stdout, '')
  assert.match(result.stderr, /\[broken\]\.0 crashed \(exit code 3\); the end of .*exec\.log:\n.*\[broken\]\.0 ! boom/)
  await noneLeft(mark)
})
