/**
 * `startWorkspace` (flotilla/testing), in-process on a real workspace: the handles a project's
 * own tests use. The apps are real Node servers; the test talks to them as such a test would.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {request} from 'undici'
import {startWorkspace} from '../../src/runner/workspace-runner.js'
import {freePort} from '../helpers/processes.js'
import {workspaceDir} from '../helpers/workspace.js'

test('startWorkspace: url(), resolve(), dispatcher, logs(), stop()', async (t) => {
  const [webPort, apiPort] = [await freePort(), await freePort()]
  const dir = await workspaceDir(t, {
    'server.mjs': `import {createServer} from 'node:http'
createServer((req, res) => res.end(process.env.FLY_APP_NAME + ':' + process.env.FLY_PROCESS_GROUP)).listen(Number(process.env.PORT), '::', () => console.log('listening'))
process.on('SIGINT', () => process.exit(0))
`,
    'fly.toml': `app = "pair"
[processes]
web = "node server.mjs"
# api gets its own PORT through its command (env(1), as a Dockerfile CMD might)
api = "env PORT=${apiPort} node server.mjs"
[env]
PORT = "${webPort}"
[http_service]
internal_port = ${webPort}
processes = ["web"]
[checks.api]
type = "tcp"
port = ${apiPort}
interval = "2s"
processes = ["api"]
`,
  })
  const ws = await startWorkspace({dir})
  t.after(() => ws.stop())

  assert.equal(ws.url('web'), `http://localhost:${webPort}`)
  assert.equal(await (await fetch(ws.url('web'))).text(), 'pair:web')
  const [address] = await ws.resolve('api.process.pair.internal')
  assert.match(address!, /^::ffff:127\./)
  assert.deepEqual(await ws.resolve('nothing.internal'), [])
  const viaDns = await request(`http://api.process.pair.internal:${apiPort}/`, {dispatcher: ws.dispatcher})
  assert.equal(await viaDns.body.text(), 'pair:api')
  assert.deepEqual(ws.logs('api'), ['listening'])
  assert.throws(() => ws.url('api'), {code: 'E_NO_URL'})

  const pids = ws.status().instances.map((i) => i.pid!)
  await ws.stop()
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), {code: 'ESRCH'})
})

test('--scale: instances with their own Machine IDs and addresses, all in the DNS while they run', async (t) => {
  const dir = await workspaceDir(t, {Procfile: 'worker: exec sleep 600\n'}, 'scaled-')
  const ws = await startWorkspace({dir, scale: {worker: 3}})
  t.after(() => ws.stop())
  const instances = ws.status().instances
  assert.deepEqual(instances.map((i) => i.index), [0, 1, 2])
  assert.equal(new Set(instances.map((i) => i.id)).size, 3)
  assert.equal(new Set(instances.map((i) => i.ip)).size, 3)
  const app = instances[0]!.app
  assert.deepEqual((await ws.resolve(`worker.process.${app}.internal`)).sort(), instances.map((i) => i.ip).sort())
  assert.deepEqual(await ws.resolve(`${instances[1]!.id}.vm.${app}.internal`), [instances[1]!.ip])
})

test('Procfile processes get PORT as foreman gives it: 5000 + 100 per line, + 1 per extra instance', async (t) => {
  const dir = await workspaceDir(t, {
    // A real Procfile whose commands expand $PORT through their own shell, as foreman users write them.
    Procfile: `web: sh -c 'echo port=$PORT; exec sleep 600'
release: echo never run
worker: sh -c 'echo port=$PORT; exec sleep 600'
`,
  }, 'procfile-port-')
  const ws = await startWorkspace({dir, scale: {worker: 2}})
  t.after(() => ws.stop())
  assert.deepEqual(ws.logs('web'), ['port=5000'])
  assert.deepEqual(ws.logs('worker').sort(), ['port=5200', 'port=5201'])
})
