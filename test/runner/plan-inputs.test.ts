import assert from 'node:assert/strict'
import {mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {checkPortClashes, loadRunPlan} from '../../src/runner/instance-plan.js'
import {repoRoot, tempDir} from '../helpers/repo.js'

test('a multi-group fly.toml: one plan per group with Fly settings (examples/hello)', async () => {
  const plan = await loadRunPlan(join(repoRoot, 'examples', 'hello'))
  assert.equal(plan.kind, 'fly')
  const [api, web] = plan.apps
  assert.deepEqual(plan.apps.map((a) => a.label), ['hello[api]', 'hello[web]'])
  assert.deepEqual(web!.argv, ['node', 'web.js'])
  assert.deepEqual(web!.services, [{port: 8080, http: true}])
  assert.deepEqual(api!.services, [])
  assert.deepEqual(api!.checks.map((c) => [c.name, c.type, c.port, c.path, c.intervalMs]), [['api', 'http', 8081, '/health', 2000]])
  assert.equal(web!.checks[0]?.port, 8080)
  assert.equal(web!.killSignal, 'SIGTERM')
  assert.equal(web!.killTimeoutMs, 5000)
  assert.equal(web!.memoryMb, 256)
  assert.equal(web!.region, 'ams')
  assert.equal(web!.configEnv.API_URL, 'http://api.process.hello.internal:8081')
  checkPortClashes(plan)
})

test('a workspace: [app.local] command, cwd, count, env_file; --only and --scale', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'fly.web.toml'), 'app = "shop"\n[processes]\nweb = "node server.js --port 8080"\n[http_service]\ninternal_port = 8080\nprocesses = ["web"]\n[[restart]]\npolicy = "on-failure"\nretries = 3\n')
  await writeFile(join(dir, 'fly.worker.toml'), 'app = "shop-worker"\nkill_signal = "TERM"\n[processes]\nworker = "python worker.py"\n[[vm]]\nmemory = "1gb"\n')
  await writeFile(join(dir, 'flotilla.toml'), [
    '[[app]]', 'name = "shop"', 'config = "fly.web.toml"', 'group = "web"',
    '[[app]]', 'name = "shop-worker"', 'config = "fly.worker.toml"', 'group = "worker"',
    '[app.local]', 'command = "sh -c \'echo $X\'"', 'cwd = "sub"', 'count = 2', 'env_file = ".env.worker"', '',
  ].join('\n'))
  const plan = await loadRunPlan(dir)
  const [web, worker] = plan.apps
  assert.deepEqual(web!.argv, ['node', 'server.js', '--port', '8080'])
  assert.deepEqual(web!.restart, {policy: 'on-failure', maxRetries: 3})
  assert.equal(web!.cwd, dir)
  assert.deepEqual(worker!.argv, ['sh', '-c', 'echo $X'])
  assert.equal(worker!.cwd, join(dir, 'sub'))
  assert.equal(worker!.count, 2)
  assert.equal(worker!.envFile, join(dir, '.env.worker'))
  assert.equal(worker!.killSignal, 'SIGTERM')
  assert.equal(worker!.memoryMb, 1024)
  assert.equal(worker!.region, 'lcl')

  const only = await loadRunPlan(dir, {only: ['shop-worker'], scale: {'shop-worker': 3}})
  assert.deepEqual(only.apps.map((a) => [a.label, a.count]), [['shop-worker[worker]', 3]])
  await assert.rejects(loadRunPlan(dir, {only: ['nope']}), {code: 'E_UNKNOWN_APP', message: /apps: shop\[web\], shop-worker\[worker\]/})
  await assert.rejects(loadRunPlan(dir, {scale: {shop: 2}}).then(checkPortClashes), {
    code: 'E_PORT_CLASH', message: /shop\[web\]\.0 and shop\[web\]\.1 both listen on port 8080.*--network isolated, or --scale shop\[web\]=1/,
  })
})

test('a group the app\'s config does not define is an input error naming it and the groups it has', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'fly.toml'), 'app = "shop"\n[processes]\nweb = "node web.js"\nworker = "node worker.js"\n')
  await writeFile(join(dir, 'flotilla.toml'), '[[app]]\nname = "shop"\nconfig = "fly.toml"\ngroup = "nope"\n')
  await assert.rejects(loadRunPlan(dir), {code: 'E_UNKNOWN_GROUP', exitCode: 2, message: /flotilla\.toml: app shop has group "nope", which fly\.toml does not define; its groups: web, worker/})
})

test('an image-only single-group fly.toml is told to set [experimental] cmd or [processes], not to split (split refuses it)', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'fly.toml'), 'app = "imageonly"\n[build]\nimage = "nginx:1"\n')
  await assert.rejects(loadRunPlan(dir), (error: Error) => {
    assert.match(error.message, /app imageonly \(group app\) has no command to run locally: set \[experimental\] cmd = \["…"\] in .*fly\.toml, or give the group a command under \[processes\] \(app = "…"\)/)
    assert.doesNotMatch(error.message, /split/)
    return true
  })
})

test('a missing command is an error naming the app', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'fly.toml'), 'app = "lonely"\n[build]\nimage = "nginx"\n')
  await writeFile(join(dir, 'flotilla.toml'), '[[app]]\nname = "lonely"\nconfig = "fly.toml"\ngroup = "app"\n')
  await assert.rejects(loadRunPlan(dir), {code: 'E_NO_COMMAND', message: /app lonely \(group app\) has no command.*\[app\.local\] command/})
})

test('a Procfile: one app named after the directory, entries run by sh -c, release skipped', async (t) => {
  const dir = await tempDir(t, 'My_Shop-')
  await writeFile(join(dir, 'Procfile'), 'web: bundle exec puma -p $PORT\nrelease: rake db:migrate\nworker: sidekiq\n')
  const plan = await loadRunPlan(dir)
  assert.equal(plan.kind, 'procfile')
  assert.match(plan.apps[0]!.app, /^my-shop-[a-z0-9-]+$/)
  assert.deepEqual(plan.apps.map((a) => [a.group, a.argv]), [['web', ['sh', '-c', 'bundle exec puma -p $PORT']], ['worker', ['sh', '-c', 'sidekiq']]])
  assert.deepEqual(plan.warnings.map((w) => w.code), ['W_RELEASE_NOT_RUN'])
  // foreman's PORT: 5000 + 100 per line in the file (release counts, as in foreman)
  assert.deepEqual(plan.apps.map((a) => a.port), [5000, 5200])
})

test('Fly configs get no PORT from up, as on Fly', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'fly.toml'), 'app = "shop"\n[processes]\nweb = "node web.js"\n')
  assert.equal((await loadRunPlan(dir)).apps[0]!.port, undefined)
})

test('nothing to run is a clear error', async (t) => {
  await assert.rejects(loadRunPlan(await tempDir(t)), {code: 'E_NO_WORKSPACE'})
})

test('a workspace split with --out runs its apps next to the source config', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'fly.toml'), 'app = "shop"\n[processes]\nweb = "node web.js"\n')
  const out = join(dir, 'out')
  await mkdir(out)
  await writeFile(join(out, 'fly.web.toml'), 'app = "shop"\n[processes]\nweb = "node web.js"\n')
  await writeFile(join(out, 'flotilla.toml'), 'source = "../fly.toml"\n[[app]]\nname = "shop"\nconfig = "fly.web.toml"\ngroup = "web"\n')
  const plan = await loadRunPlan(out)
  assert.equal(plan.apps[0]!.cwd, dir)
})

test('[env] FLY_* names are reported: Fly sets them itself', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'fly.toml'), 'app = "x"\n[processes]\nweb = "node a.js"\n[env]\nFLY_REGION = "mars"\nFLY_APP_NAME = "y"\nOK = "1"\n')
  const plan = await loadRunPlan(dir)
  assert.deepEqual(plan.warnings.map((w) => w.code), ['W_RESERVED_ENV'])
  assert.match(plan.warnings[0]!.message, /\[env\] sets FLY_REGION, FLY_APP_NAME; Fly reserves FLY_\* names/)
})
