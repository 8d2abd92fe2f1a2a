import assert from 'node:assert/strict'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {splitConfig, type SplitRequest} from '../../src/split/index.js'
import {tempDir} from '../helpers/repo.js'

test('legacy keys written under aliases ([compute], singular [services]) are left out too', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'fly.toml'), `app = "shop"
[processes]
  web = "serve"
  worker = "work"
[compute]
  size = "shared-cpu-1x"
  private_network = true
[services]
  internal_port = 8080
  processes = ["web"]
  [[services.tcp_checks]]
    interval = "15s"
    restart_limit = 6
`)
  const outcome = await splitConfig({config: dir, mode: 'dry-run', cwd: dir})
  for (const file of outcome.plan.files) assert.doesNotMatch(file.content, /private_network|restart_limit/, file.path)
  const legacy = outcome.report.warnings.filter((w) => w.code === 'W_LEGACY_KEY')
  assert.deepEqual(legacy.map((w) => w.path), ['compute.private_network', 'services.tcp_checks[0].restart_limit'], 'paths as written in the file')
  for (const w of legacy) assert.match(w.message, /left out of the split files/)
  assert.match(outcome.plan.files.find((f) => f.path === 'fly.web.toml')!.content, /size = 'shared-cpu-1x'/)
})

const SHOP = `app = "shop"
[deploy]
  release_command = "bin/migrate"
[processes]
  web = "bin/web"
  api = "bin/api"
  worker = "bin/worker"
[http_service]
  internal_port = 8080
  processes = ["web"]
`

test('a re-run without flags reproduces --name, --public and --release-in from flotilla.toml; flags still override', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'fly.toml'), SHOP)
  const split = (request: Partial<SplitRequest>) => splitConfig({config: 'fly.toml', out: 'apps', cwd: dir, mode: 'check', ...request})
  const first = await split({mode: 'write', names: {worker: 'shop-jobs'}, public: 'api', releaseIn: 'worker'})
  assert.deepEqual(first.plan.apps.map((a) => [a.group, a.name, a.public, a.release]), [
    ['api', 'shop', true, false], ['web', 'shop-web', false, false], ['worker', 'shop-jobs', false, true],
  ])
  const workspace = await readFile(join(dir, 'apps', 'flotilla.toml'), 'utf8')
  assert.match(workspace, /name = "shop-jobs"\nconfig = "fly\.worker\.toml"\ngroup = "worker"\nrelease = true\n/)

  const again = await split({})
  assert.deepEqual(again.changed, [], again.diff)
  assert.equal(again.drift, false)
  assert.deepEqual(again.report.apps.map((a) => [a.group, a.name, a.public]), first.report.apps.map((a) => [a.group, a.name, a.public]))

  const web = join(dir, 'apps', 'fly.web.toml')
  await writeFile(web, (await readFile(web, 'utf8')).replace("internal_port = 8080", "internal_port = 9090"))
  const drift = await split({})
  assert.equal(drift.drift, true)
  assert.deepEqual(drift.changed, [join('apps', 'fly.web.toml')])

  // Flags win over what was recorded; the recorded name of the new public group gives way to the original one.
  const moved = await split({mode: 'dry-run', public: 'worker', releaseIn: 'web'})
  assert.deepEqual(moved.plan.apps.map((a) => [a.group, a.name, a.public, a.release]), [
    ['worker', 'shop', true, false], ['api', 'shop-api', false, false], ['web', 'shop-web', false, true],
  ])
})

test('recorded choices apply only to the same source and the groups it still has', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'fly.toml'), SHOP)
  await writeFile(join(dir, 'other.toml'), SHOP)
  await splitConfig({config: 'fly.toml', cwd: dir, mode: 'write', out: '.', names: {worker: 'shop-jobs', api: 'shop-gateway'}, releaseIn: 'worker'})
  const other = await splitConfig({config: 'other.toml', cwd: dir, mode: 'dry-run', out: '.'})
  assert.deepEqual(other.plan.apps.map((a) => [a.group, a.name, a.release]), [['web', 'shop', true], ['api', 'shop-api', false], ['worker', 'shop-worker', false]])

  await writeFile(join(dir, 'fly.toml'), SHOP.replace('  worker = "bin/worker"\n', '').replace('[deploy]\n  release_command = "bin/migrate"\n', ''))
  const fewer = await splitConfig({config: 'fly.toml', cwd: dir, mode: 'dry-run', out: '.'})
  assert.deepEqual(fewer.plan.apps.map((a) => [a.group, a.name, a.release]), [['web', 'shop', false], ['api', 'shop-gateway', false]])
  assert.deepEqual(fewer.report.warnings.filter((w) => w.code.startsWith('W_RELEASE')), [], 'no "--release-in has no effect" for a flag nobody passed')
})
