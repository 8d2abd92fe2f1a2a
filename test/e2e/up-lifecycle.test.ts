/**
 * `flotilla up` end to end through the built CLI, on a hand-written two-app workspace of real
 * Node servers: the Fly environment seen by a real child, `.internal` calls through the preload,
 * `--detach`, `ps --json`, `restart`, `logs`, `down`, foreground signals, and the errors.
 * Leftovers are looked for in /proc by a marker only this test's processes carry.
 */
import assert from 'node:assert/strict'
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process'
import {once} from 'node:events'
import {readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {probeIsolated} from '../../src/network/isolated/index.js'
import {freePort, markedPids, newMark, noneLeft, running, waitMarked} from '../helpers/processes.js'
import {repoRoot, runCli} from '../helpers/repo.js'
import {neverHealthyFlyToml, workspaceDir} from '../helpers/workspace.js'

const SERVER = `
import {createServer} from 'node:http'
const port = Number(process.env.PORT)
createServer(async (req, res) => {
  if (req.url === '/env') return res.end(JSON.stringify(process.env))
  if (req.url === '/call') {
    try { res.end(await (await fetch(process.env.PEER_URL)).text()) } catch (e) { res.statusCode = 502; res.end(String(e.cause ?? e)) }
    return
  }
  res.end('ok')
}).listen(port, '::', () => console.log('ready on ' + port))
process.on('SIGTERM', () => process.exit(0))
`

interface Fixture {
  dir: string
  mark: string
  alphaPort: number
  betaPort: number
}

/** alpha: [app.local] command + env_file + http_service; beta: its group's command + a [checks] check. */
async function workspace(t: {after(fn: () => unknown): void}): Promise<Fixture> {
  // Before the directory: every process this test started (the `up`s get the marker through
  // cli(), their instances inherit it) is killed first; SIGKILL of an `up` also exercises its guard.
  const mark = newMark(t)
  const [alphaPort, betaPort] = [await freePort(), await freePort()]
  const dir = await workspaceDir(t, {
    'server.mjs': SERVER,
    'fly.alpha.toml': `app = "alpha"
primary_region = "fra"
kill_signal = "SIGTERM"
[processes]
web = "node server.mjs"
[env]
PORT = "${alphaPort}"
SECRET_TOKEN = "from-env"
GREETING = "from-env"
PEER_URL = "http://beta.internal:${betaPort}/env"
[http_service]
internal_port = ${alphaPort}
processes = ["web"]
  [[http_service.checks]]
  path = "/health"
  interval = "2s"
  timeout = "1s"
[[vm]]
memory = "512mb"
`,
    'fly.beta.toml': `app = "beta"
kill_signal = "SIGTERM"
[processes]
api = "node server.mjs"
[env]
PORT = "${betaPort}"
[checks.alive]
type = "tcp"
port = ${betaPort}
interval = "2s"
timeout = "1s"
processes = ["api"]
`,
    '.env.alpha': '# local secrets\nSECRET_TOKEN="from-secret"\n',
    'flotilla.toml': `[[app]]
name = "alpha"
config = "fly.alpha.toml"
group = "web"
[app.local]
command = "node server.mjs"
env_file = ".env.alpha"

[[app]]
name = "beta"
config = "fly.beta.toml"
group = "api"
`,
  }, 'flotilla-up-')
  return {dir, mark, alphaPort, betaPort}
}

const getText = async (url: string) => (await fetch(url)).text()

test('up --detach: Fly env in a real child, .internal calls, ps --json, registry.json, restart, logs, down', async (t) => {
  const {dir, mark, alphaPort, betaPort} = await workspace(t)
  const cli = (args: string[]) => runCli(args, {cwd: dir, env: {TEST_MARK: mark}})
  const up = await cli(['up', '--detach', '--wait', '--network', 'loopback'])
  assert.equal(up.code, 0, up.stderr)
  assert.match(up.stdout, new RegExp(`alpha\\[web\\]  http://localhost:${alphaPort}`))

  const env = JSON.parse(await getText(`http://localhost:${alphaPort}/env`)) as Record<string, string>
  assert.equal(env.FLY_APP_NAME, 'alpha')
  assert.equal(env.FLY_PROCESS_GROUP, 'web')
  assert.match(env.FLY_MACHINE_ID!, /^[0-9a-f]{14}$/)
  assert.equal(env.FLY_ALLOC_ID, env.FLY_MACHINE_ID)
  assert.match(env.FLY_PRIVATE_IP!, /^::ffff:127\.\d+\.\d+\.\d+$/)
  assert.equal(env.FLY_VM_MEMORY_MB, '512')
  assert.equal(env.PRIMARY_REGION, 'fra')
  assert.equal(env.FLY_REGION, 'fra')
  assert.match(env.FLY_MACHINE_VERSION!, /^[0-9A-HJKMNP-TV-Z]{26}$/)
  assert.match(env.FLY_IMAGE_REF!, /^registry\.fly\.io\/alpha:deployment-[0-9A-Z]{26}$/)
  assert.equal(env.SECRET_TOKEN, 'from-secret')
  assert.equal(env.GREETING, 'from-env')

  // alpha calls beta by name: the preload resolves beta.internal through up's DNS.
  const beta = JSON.parse(await getText(`http://localhost:${alphaPort}/call`)) as Record<string, string>
  assert.equal(beta.FLY_APP_NAME, 'beta')
  assert.equal(beta.FLY_PROCESS_GROUP, 'api')
  assert.equal(beta.FLY_REGION, 'lcl')
  assert.equal(beta.PORT, String(betaPort))

  const ps = await cli(['ps', '--json'])
  assert.equal(ps.code, 0, ps.stderr)
  const status = JSON.parse(ps.stdout)
  assert.equal(typeof status.dns.address, 'string')
  assert.equal(typeof status.dns.port, 'number')
  assert.deepEqual(status.instances.map((i: {app: string; group: string; state: string; health: string}) => [i.app, i.group, i.state, i.health]),
    [['alpha', 'web', 'running', 'passing'], ['beta', 'api', 'running', 'passing']])
  const alpha = status.instances[0]
  assert.equal(alpha.id, env.FLY_MACHINE_ID)
  assert.equal(alpha.ip, env.FLY_PRIVATE_IP)
  assert.deepEqual(alpha.urls, [`http://localhost:${alphaPort}`])
  for (const key of ['pid', 'restarts']) assert.equal(typeof alpha[key], 'number')

  const registry = JSON.parse(await readFile(join(dir, '.flotilla', 'registry.json'), 'utf8'))
  assert.deepEqual(registry.apps.map((a: {name: string; instances: {id: string; state: string}[]}) => [a.name, a.instances[0]!.state]),
    [['alpha', 'started'], ['beta', 'started']])
  assert.equal(registry.apps[0].instances[0].ip, alpha.ip)

  const table = await cli(['ps'])
  assert.match(table.stdout, /^APP\s+GROUP\s+INSTANCE\s+PID\s+ADDRESS\s+STATE\s+HEALTH\s+RESTARTS\s+UPTIME$/m)

  // A follower gets the last line, then the restarted instance's first one, and ends with `up`.
  const follow = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), 'logs', '-f', '-n', '1', 'alpha'], {cwd: dir, env: {...process.env, NO_COLOR: '1'}})
  let followed = ''
  const followEnded = once(follow, 'exit')
  // The recent lines and the subscription come in one step: once the first is here, it follows.
  await new Promise<void>((resolve) => follow.stdout.setEncoding('utf8').on('data', (d: string) => (followed += d) && resolve()))
  const restart = await cli(['restart', 'alpha'])
  assert.equal(restart.code, 0, restart.stderr)
  const after = JSON.parse((await cli(['ps', '--json'])).stdout)
  assert.notEqual(after.instances[0].pid, alpha.pid)
  assert.equal(after.instances[0].restarts, 0, 'a requested restart is not counted as a crash restart')
  assert.match(await readFile(join(dir, '.flotilla', 'up.log'), 'utf8'), /^flotilla\s+\| alpha\[web\]\.0 restarted by request$/m)
  assert.equal(after.instances[0].id, alpha.id, 'a restarted Machine keeps its id')

  const logs = await cli(['logs', 'beta'])
  assert.equal(logs.code, 0, logs.stderr)
  assert.match(logs.stdout, new RegExp(`^beta\\[api\\]\\.0 \\| ready on ${betaPort}$`, 'm'))
  assert.doesNotMatch(logs.stdout, /alpha/)
  const json = await cli(['logs', '--json', '-n', '1', 'alpha'])
  assert.deepEqual(JSON.parse(json.stdout.trim()).line, `ready on ${alphaPort}`)

  const upPid = status.pid as number
  const down = await cli(['down'])
  assert.equal(down.code, 0, down.stderr)
  assert.deepEqual(await followEnded, [0, null])
  assert.equal(followed, `alpha[web].0 | ready on ${alphaPort}\n`.repeat(2))
  await noneLeft(mark)
  assert.equal(await running(upPid), false)
  await assert.rejects(stat(join(dir, '.flotilla', 'control.sock')), {code: 'ENOENT'})
  await assert.rejects(stat(join(dir, '.flotilla', 'registry.json')), {code: 'ENOENT'})
  const again = await cli(['ps'])
  assert.equal(again.code, 1)
  assert.match(again.stderr, /no flotilla up is running here/)
})

/** `up` in the foreground (default network), resolved once it says it is running. */
async function foregroundUp(dir: string, mark: string): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), 'up'], {cwd: dir, env: {...process.env, NO_COLOR: '1', TEST_MARK: mark}})
  let output = ''
  for (const stream of [child.stdout, child.stderr]) stream.setEncoding('utf8')
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: string) => (output += d).includes('Press Ctrl-C') && resolve())
    child.stderr.on('data', (d: string) => (output += d))
    child.once('exit', (code) => reject(new Error(`up exited with ${code} before it was running:\n${output}`)))
  })
  return child
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`up in the foreground stops everything on ${signal}`, async (t) => {
    const {dir, mark} = await workspace(t)
    const child = await foregroundUp(dir, mark)
    assert.ok((await markedPids(mark)).length >= 3, 'up and its two instances')
    const exited = once(child, 'exit')
    child.kill(signal)
    assert.deepEqual(await exited, [0, null])
    await noneLeft(mark)
  })
}

test('Ctrl-C while the apps are still starting stops them, and up exits 0', async (t) => {
  const mark = newMark(t)
  // Neither has been up for the second that makes it "started" when the signal comes.
  const dir = await workspaceDir(t, {Procfile: 'one: exec sleep 600\ntwo: exec sleep 600\n'}, 'flotilla-up-')
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), 'up', '--network', 'loopback'], {cwd: dir, env: {...process.env, NO_COLOR: '1', TEST_MARK: mark}})
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  const exited = once(child, 'exit')
  await waitMarked(mark, (found) => found.filter((p) => p.cmdline === 'sleep 600').length === 2, 'both instances running')
  child.kill('SIGINT')
  assert.deepEqual(await exited, [0, null])
  assert.doesNotMatch(stdout, /started|Press Ctrl-C/)
  await noneLeft(mark)
})

test('a SIGKILLed up leaves nothing: its parent-death guard stops the instances', async (t) => {
  const {dir, mark} = await workspace(t)
  const child = await foregroundUp(dir, mark)
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
  // The guard sends kill_signal (the servers exit on it), then SIGKILL after kill_timeout.
  await noneLeft(mark)
})

test('a second Ctrl-C kills at once what ignores the first', {timeout: 60_000}, async (t) => {
  const mark = newMark(t)
  const dir = await workspaceDir(t, {
    // Ignores its kill_signal and has the longest kill_timeout Fly allows: only a second Ctrl-C ends it soon.
    'fly.toml': 'app = "stubborn"\nkill_signal = "SIGINT"\nkill_timeout = "300s"\n[processes]\napp = "sh -c \'trap \\"\\" INT; echo ready; while :; do sleep 1; done\'"\n',
  }, 'flotilla-up-')
  const child = await foregroundUp(dir, mark)
  const exited = once(child, 'exit')
  const stopping = new Promise((resolve) => child.stderr.on('data', (d: string) => d.includes('Stopping') && resolve(d)))
  child.kill('SIGINT')
  // Two signals sent back to back may arrive as one: the second goes once the first is taken.
  await stopping
  child.kill('SIGINT')
  assert.deepEqual(await exited, [0, null])
  await noneLeft(mark)
})

test('a port two instances want is refused, naming both; so is a second up', async (t) => {
  const {dir, mark} = await workspace(t)
  const cli = (args: string[]) => runCli(args, {cwd: dir, env: {TEST_MARK: mark}})
  const clash = await cli(['up', '--network', 'loopback', '--scale', 'alpha=2'])
  assert.equal(clash.code, 3)
  assert.match(clash.stderr, /alpha\[web\]\.0 and alpha\[web\]\.1 both listen on port \d+.*--network isolated, or --scale alpha\[web\]=1/)

  const first = await cli(['up', '--detach', '--only', 'beta'])
  assert.equal(first.code, 0, first.stderr)
  const second = await cli(['up', '--only', 'alpha'])
  assert.equal(second.code, 3)
  assert.match(second.stderr, /already running here/)
  assert.equal((await cli(['down'])).code, 0)
})

test('a missing command is an input error naming the app; bad flags exit 2', async (t) => {
  const dir = await workspaceDir(t, {
    'fly.toml': 'app = "imageonly"\n[build]\nimage = "nginx:1"\n',
    'flotilla.toml': '[[app]]\nname = "imageonly"\nconfig = "fly.toml"\ngroup = "app"\n',
  })
  const cli = (args: string[]) => runCli(args, {cwd: dir})
  const up = await cli(['up'])
  assert.equal(up.code, 2)
  assert.match(up.stderr, /app imageonly \(group app\) has no command to run locally/)
  const scale = await cli(['up', '--scale', 'imageonly'])
  assert.equal(scale.code, 2)
  assert.match(scale.stderr, /--scale expects APP=N/)
})

test('an app that dies at start is reported as failed, not started; --detach then leaves nothing', async (t) => {
  const mark = newMark(t)
  const dir = await workspaceDir(t, {Procfile: 'steady: sleep 600\nbroken: echo boom >&2; exit 3\n'}, 'flotilla-up-')
  const up = await runCli(['up', '--detach', '--network', 'loopback'], {cwd: dir, env: {TEST_MARK: mark}})
  assert.equal(up.code, 3)
  assert.match(up.stderr, /\[broken\]\.0 crashed \(exit code 3\)/)
  assert.match(up.stderr, /\[broken\]\.0 \! boom/, 'the end of its log is shown')
  await noneLeft(mark)
})

test('--wait with a check that never passes: bounded by --wait-timeout, exit 3 naming the instance and its last check; --detach stops it', async (t) => {
  const mark = newMark(t)
  const port = await freePort()
  const dir = await workspaceDir(t, {
    'server.mjs': SERVER.replace("res.end('ok')", "res.statusCode = 404; res.end('no')"),
    'fly.toml': neverHealthyFlyToml(`env PORT=${port} node server.mjs`, port),
  }, 'flotilla-up-')
  const up = await runCli(['up', '--detach', '--wait', '--wait-timeout', '3', '--network', 'loopback'], {cwd: dir, env: {TEST_MARK: mark}})
  assert.equal(up.code, 3, up.stderr)
  assert.match(up.stderr, /not healthy after 3 s: sick\[web\]\.0 critical \(ready: HTTP 404\)/)
  assert.match(up.stderr, /up\.log/, 'the end of up.log is shown')
  await noneLeft(mark)
})

const isolated = await probeIsolated()
test('a Procfile web on the isolated network is reachable on localhost:$PORT, as under foreman, and its URL is printed', {skip: !isolated.available && isolated.reason}, async (t) => {
  const mark = newMark(t)
  const dir = await workspaceDir(t, {
    Procfile: `web: exec node -e "require('http').createServer((q, s) => s.end('hi ' + process.env.PORT)).listen(process.env.PORT, '::')"\n`,
  }, 'flotilla-up-')
  const up = await runCli(['up', '--detach', '--network', 'isolated'], {cwd: dir, env: {TEST_MARK: mark}})
  assert.equal(up.code, 0, up.stderr)
  assert.match(up.stdout, /\[web\]  http:\/\/localhost:5000/)
  assert.equal(await getText('http://localhost:5000/'), 'hi 5000')
  assert.equal((await runCli(['down'], {cwd: dir})).code, 0)
  await noneLeft(mark)
})

test('up | head -2: the closed output stops the apps gracefully (their kill_signal, not the watchdog), and up exits 0', async (t) => {
  const mark = newMark(t)
  const app = `process.on('SIGINT', () => { require('fs').writeFileSync('stopped-gracefully', ''); process.exit(0) }); setInterval(() => console.log('tick'), 100)`
  const dir = await workspaceDir(t, {Procfile: `ticker: exec node -e "${app}"\n`}, 'flotilla-up-')
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), 'up', '--network', 'loopback'], {cwd: dir, env: {...process.env, NO_COLOR: '1', TEST_MARK: mark}})
  const exited = once(child, 'exit')
  let seen = ''
  // What `head -2` does: read two lines, then close the pipe.
  for await (const chunk of child.stdout.setEncoding('utf8')) if ((seen += chunk).split('\n').length > 2) break
  assert.deepEqual(await exited, [0, null])
  await stat(join(dir, 'stopped-gracefully'))
  await noneLeft(mark)
})

test('logs: the backlog is padded to the same column as the live lines, wide instances that wrote later included', async (t) => {
  const mark = newMark(t)
  const dir = await workspaceDir(t, {Procfile: 'a: echo first; exec sleep 600\nlonger-name: sleep 0.3; echo second; exec sleep 600\n'}, 'flotilla-up-')
  const cli = (args: string[]) => runCli(args, {cwd: dir, env: {TEST_MARK: mark}})
  assert.equal((await cli(['up', '--detach', '--network', 'loopback'])).code, 0)
  const logs = await cli(['logs'])
  assert.equal(logs.code, 0, logs.stderr)
  // "a" is 10 characters narrower than "longer-name": its line gets them as padding.
  assert.match(logs.stdout, /\[a\]\.0 {11}\| first\n.*\[longer-name\]\.0 \| second\n/)
  assert.equal((await cli(['down'])).code, 0)
  await noneLeft(mark)
})

test('the startup progress comes before the apps\' first lines, and none is lost', async (t) => {
  const mark = newMark(t)
  const dir = await workspaceDir(t, {Procfile: 'early: echo hello-from-app; echo second-line; exec sleep 600\n'}, 'flotilla-up-')
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), 'up', '--network', 'loopback'], {cwd: dir, env: {...process.env, NO_COLOR: '1', TEST_MARK: mark}})
  const exited = once(child, 'exit')
  let stdout = ''
  await new Promise<void>((resolve) => child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d).includes('Press Ctrl-C') && resolve()))
  child.kill('SIGINT')
  assert.deepEqual(await exited, [0, null])
  assert.match(stdout, /^. \S+\[early\] starting\n\S+\[early\]\.0 \| hello-from-app\n\S+\[early\]\.0 \| second-line\n/)
  await noneLeft(mark)
})
