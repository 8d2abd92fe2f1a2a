import assert from 'node:assert/strict'
import {test} from 'node:test'
import {loadFlyConfig, type FlyConfig} from '../../src/config/index.js'
import {FlotillaError, LocatedError} from '../../src/errors.js'
import {planSplit, sanitiseAppName, type SplitOptions, type SplitPlan} from '../../src/split/index.js'

function load(text: string): FlyConfig {
  const {config, diagnostics} = loadFlyConfig(text, 'fly.toml')
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), [])
  return config
}
const plan = (text: string, options: Partial<SplitOptions> = {}): SplitPlan => planSplit(load(text), {file: 'fly.toml', source: 'fly.toml', ...options})
const app = (p: SplitPlan, group: string) => p.apps.find((a) => a.group === group)!
const codes = (p: SplitPlan) => p.warnings.map((w) => w.code)

const SHOP = `
app = "shop"
primary_region = "ams"
[build]
  dockerfile = "docker/Dockerfile"
  ignorefile = ".dockerignore"
[deploy]
  release_command = "bin/migrate"
  strategy = "rolling"
[env]
  REDIS_URL = "redis://localhost:6379/0"
  API = "http://web.process.shop.internal:8080"
  SELF = "http://127.0.0.1:8080/health"
[processes]
  web = "bin/server --port 8080"
  worker = "bin/worker"
  redis = "redis-server --port 6379 --bind 0.0.0.0"
[http_service]
  internal_port = 8080
  processes = ["web"]
[[statics]]
  guest_path = "/app/public"
  url_prefix = "/static"
[[mounts]]
  source = "redis_data"
  destination = "/data"
  initial_size = "3gb"
  processes = ["redis"]
[[vm]]
  size = "shared-cpu-1x"
[[vm]]
  size = "performance-1x"
  processes = ["worker"]
`

test('the public group keeps the app name; the others become <app>-<group>', () => {
  const p = plan(SHOP)
  assert.deepEqual(p.apps.map((a) => [a.group, a.name, a.public, a.config]), [
    ['web', 'shop', true, 'fly.web.toml'], ['redis', 'shop-redis', false, 'fly.redis.toml'], ['worker', 'shop-worker', false, 'fly.worker.toml'],
  ])
  assert.deepEqual(p.files.map((f) => f.path), ['fly.web.toml', 'fly.redis.toml', 'fly.worker.toml', 'flotilla.toml'])
})

test('--public and --name override the naming', () => {
  const p = plan(SHOP, {public: 'worker', names: {redis: 'shop-cache'}})
  assert.equal(app(p, 'worker').name, 'shop')
  assert.equal(app(p, 'web').name, 'shop-web')
  assert.equal(app(p, 'redis').name, 'shop-cache')
  assert.ok(!codes(p).includes('W_OLD_APP_KEPT'))
})

test('renaming the public group leaves no app keeping the old one, and says so', () => {
  const p = plan(SHOP, {names: {web: 'shop-v2'}})
  assert.deepEqual(p.apps.map((a) => [a.group, a.name, a.public]), [['web', 'shop-v2', false], ['redis', 'shop-redis', false], ['worker', 'shop-worker', false]])
  assert.deepEqual(p.steps.filter((s) => s.startsWith('fly apps create')), ['fly apps create shop-v2', 'fly apps create shop-redis', 'fly apps create shop-worker'])
  assert.match(p.warnings.find((w) => w.code === 'W_OLD_APP_KEPT')?.message ?? '', /^no app keeps the name shop \(group "web" is now shop-v2\): .*scale it to zero or destroy it/)
  assert.equal(app(p, 'web').fly.statics?.length, 1, 'the group with the public ports still serves the statics')
})

test('app names are sanitised to Fly rules and collisions are refused', () => {
  assert.equal(sanitiseAppName('Shop_API--v2_'), 'shop-api-v2')
  const long = sanitiseAppName(`${'a'.repeat(60)}-b_worker`)
  assert.equal(long, `${'a'.repeat(60)}-b`)
  const collide = 'app = "x"\n[processes]\n  web = "w"\n  a_b = "one"\n  a-b = "two"\n[http_service]\n  internal_port = 8080\n  processes = ["web"]\n'
  assert.throws(() => plan(collide), (e: unknown) => e instanceof FlotillaError && e.code === 'E_DUPLICATE_APP' && /--name/.test(e.message))
  assert.throws(() => plan(SHOP, {names: {worker: 'shop'}}), /both become app "shop"/)
  assert.throws(() => plan(SHOP, {names: {worker: 'Shop_Worker'}}), (e: unknown) => e instanceof FlotillaError && e.code === 'E_APP_NAME')
  assert.throws(() => plan('[processes]\n  a = "x"\n  b = "y"\n'), (e: unknown) => e instanceof LocatedError && e.code === 'E_NO_APP_NAME' && e.location.keyPath === 'app')
  assert.deepEqual(plan('[processes]\n  a = "x"\n  b = "y"\n', {names: {a: 'one', b: 'two'}}).apps.map((a) => a.name), ['one', 'two'])
})

test('each output keeps its single group under the original name, with every section filtered to it', () => {
  const p = plan(SHOP)
  const worker = app(p, 'worker').fly
  assert.deepEqual(worker.processes, {worker: 'bin/worker'})
  assert.deepEqual(worker.vm, [{size: 'performance-1x', processes: ['worker']}])
  assert.deepEqual(app(p, 'web').fly.vm, [{size: 'shared-cpu-1x', processes: ['web']}], 'an unfiltered [[vm]] applies to every group')
  assert.deepEqual(app(p, 'web').fly.http_service?.processes, ['web'])
  assert.equal(worker.http_service, undefined)
})

test('release_command goes to exactly one app: the public one, or --release-in', () => {
  const p = plan(SHOP)
  assert.deepEqual(p.apps.map((a) => [a.group, a.release, a.fly.deploy?.release_command]), [
    ['web', true, 'bin/migrate'], ['redis', false, undefined], ['worker', false, undefined],
  ])
  assert.equal(app(p, 'worker').fly.deploy?.strategy, 'rolling', 'the rest of [deploy] is kept')
  assert.deepEqual(p.warnings.filter((w) => w.code === 'W_RELEASE_ONE_APP').map((w) => w.message),
    ['release_command now runs only when shop deploys (choose with --release-in GROUP); deploying shop-redis, shop-worker does not run it, so deploy shop first'])
  const moved = plan(SHOP, {releaseIn: 'worker'})
  assert.equal(app(moved, 'web').fly.deploy?.release_command, undefined)
  assert.equal(app(moved, 'worker').fly.deploy?.release_command, 'bin/migrate')
  assert.match(moved.steps.find((s) => s.startsWith('fly deploy'))!, /fly\.worker\.toml$/, 'the release app deploys first')
  const none = plan(SHOP.replace('release_command = "bin/migrate"', ''), {releaseIn: 'worker'})
  assert.ok(none.apps.every((a) => !a.release))
  assert.ok(codes(none).includes('W_RELEASE_UNUSED'))
})

test('[[statics]] stay with the public app', () => {
  const p = plan(SHOP)
  assert.deepEqual(app(p, 'web').fly.statics, [{guest_path: '/app/public', url_prefix: '/static'}])
  assert.equal(app(p, 'worker').fly.statics, undefined)
  assert.ok(app(p, 'worker').changes.includes('dropped [[statics]] (served by shop)'))
  // The proxy serves statics on public ports only: apps without any lose nothing worth a warning.
  assert.ok(!codes(p).includes('W_STATICS_MOVED'))
  const served = plan(`${SHOP}[[services]]\n  internal_port = 9000\n  processes = ["worker"]\n  [[services.ports]]\n    port = 9000\n`)
  assert.deepEqual(served.warnings.filter((w) => w.code === 'W_STATICS_MOVED').map((w) => w.message),
    ['[[statics]] stay with the public app shop; requests to the public ports of shop-worker no longer get the static files'])
})

test('mounts go only to the groups they name; a volume shared by groups needs --allow shared-volume', () => {
  const p = plan(SHOP)
  assert.deepEqual(app(p, 'redis').fly.mounts, [{source: 'redis_data', destination: '/data', initial_size: '3gb', processes: ['redis']}])
  assert.equal(app(p, 'web').fly.mounts, undefined)
  assert.ok(p.steps.includes('fly volumes create redis_data -a shop-redis -r ams -s 3  # one per Machine; data does not move from shop'))
  assert.deepEqual(p.warnings.filter((w) => w.code === 'W_VOLUME_NOT_MOVED').map((w) => w.message.split(':')[0]), ['shop-redis starts with a new, empty volume "redis_data"'])
  const shared = SHOP.replace('processes = ["redis"]', 'processes = ["redis", "worker"]')
  assert.throws(() => plan(shared), (e: unknown) => e instanceof LocatedError && e.code === 'E_SHARED_VOLUME' && e.location.keyPath === 'mounts[0]')
  const allowed = plan(shared, {allow: ['shared-volume']})
  assert.equal(app(allowed, 'worker').fly.mounts?.[0]?.source, 'redis_data')
  assert.ok(codes(allowed).includes('W_SHARED_VOLUME'))
})

test('[env] peers that point at another group are rewritten to <newapp>.internal and listed', () => {
  const p = plan(SHOP)
  assert.equal(app(p, 'worker').fly.env?.REDIS_URL, 'redis://shop-redis.internal:6379/0')
  assert.equal(app(p, 'worker').fly.env?.SELF, 'http://shop.internal:8080/health')
  assert.equal(app(p, 'worker').fly.env?.API, 'http://web.process.shop.internal:8080', 'web stays in app shop, so its name still resolves')
  assert.equal(app(p, 'web').fly.env?.SELF, 'http://127.0.0.1:8080/health', "a group's own port stays local")
  assert.equal(app(p, 'redis').fly.env?.REDIS_URL, 'redis://localhost:6379/0')
  const rewrites = p.warnings.filter((w) => w.code === 'W_ENV_REWRITTEN').map((w) => w.message)
  assert.ok(rewrites.includes('shop, shop-worker: localhost:6379 -> shop-redis.internal:6379 (port 6379 is group "redis", now app shop-redis)'), rewrites.join('\n'))
  assert.deepEqual(app(p, 'worker').changes, [
    'dropped [[statics]] (served by shop)',
    'dropped release_command (runs in shop)',
    'env REDIS_URL: localhost:6379 -> shop-redis.internal:6379',
    'env SELF: 127.0.0.1:8080 -> shop.internal:8080',
  ])
  assert.deepEqual(app(p, 'web').changes, ['env REDIS_URL: localhost:6379 -> shop-redis.internal:6379'], 'the public app keeps statics and release_command')
  const moved = plan(SHOP, {public: 'worker'})
  assert.equal(app(moved, 'redis').fly.env?.API, 'http://shop-web.internal:8080', '<group>.process.<app>.internal of a moved group')
})

test('IPv4-only listeners and IPv4-pinned clients are warned about', () => {
  const p = plan(SHOP.replace('bin/worker', 'gunicorn -b 0.0.0.0:8000 app:wsgi').replace('bin/server --port 8080', 'rails s --host 127.0.0.1'))
  const listeners = p.warnings.filter((w) => w.code === 'W_IPV4_LISTENER').map((w) => w.path)
  assert.deepEqual(listeners, ['processes.redis', 'processes.web', 'processes.worker'])
  const fine = plan(SHOP.replace('--bind 0.0.0.0', '--bind ::'))
  assert.ok(!codes(fine).includes('W_IPV4_LISTENER'))
  const client = plan(SHOP.replace('redis://localhost:6379/0', 'redis://cache.internal:6379?family=4'))
  assert.ok(codes(client).includes('W_IPV4_CLIENT'))
})

test('relative build paths are rewritten for --out; URLs and absolute paths are not', () => {
  assert.deepEqual(app(plan(SHOP, {relocate: '..'}), 'worker').fly.build, {dockerfile: '../docker/Dockerfile', ignorefile: '../.dockerignore'})
  const url = SHOP.replace('docker/Dockerfile', 'https://example.com/Dockerfile').replace('.dockerignore', '/srv/ignore')
  assert.deepEqual(app(plan(url, {relocate: 'up'}), 'web').fly.build, {dockerfile: 'https://example.com/Dockerfile', ignorefile: '/srv/ignore'})
  assert.deepEqual(app(plan(SHOP), 'web').fly.build, {dockerfile: 'docker/Dockerfile', ignorefile: '.dockerignore'})
})

test('the public group is the one with public ports, else the default group, warned when guessed', () => {
  const none = plan('app = "q"\n[processes]\n  beta = "b"\n  alpha = "a"\n')
  assert.equal(none.apps.find((a) => a.public)?.group, 'alpha')
  assert.ok(codes(none).includes('W_NO_PUBLIC_GROUP'))
  const two = `app = "m"\n[processes]\n  rails = "r"\n  streaming = "s"\n[[services]]\n  internal_port = 3000\n  processes = ["rails"]\n  [[services.ports]]\n    port = 443\n[[services]]\n  internal_port = 4000\n  processes = ["streaming"]\n  [[services.ports]]\n    port = 80\n`
  assert.equal(plan(two).apps.find((a) => a.public)?.group, 'rails')
  assert.ok(codes(plan(two)).includes('W_SEVERAL_PUBLIC_GROUPS'))
  assert.equal(plan(two, {public: 'streaming'}).apps.find((a) => a.public)?.group, 'streaming')
})

test('[[files]] honour their filter, with the flyctl caveat reported', () => {
  const p = plan(`${SHOP}[[files]]\n  guest_path = "/etc/app.conf"\n  raw_value = "eA=="\n  processes = ["web"]\n`)
  assert.equal(app(p, 'worker').fly.files, undefined)
  assert.deepEqual(p.warnings.filter((w) => w.code === 'W_FILES_FILTERED').map((w) => w.message.split(' ')[0]), ['shop-redis', 'shop-worker'])
})

test('bad input fails with a located error', () => {
  const fails = (text: string, code: string, keyPath: string, options: Partial<SplitOptions> = {}) =>
    assert.throws(() => planSplit(loadFlyConfig(text, 'fly.toml').config, {file: 'fly.toml', source: 'fly.toml', ...options}),
      (e: unknown) => e instanceof LocatedError && e.code === code && e.location.keyPath === keyPath)
  fails('app = "x"\n', 'E_NOTHING_TO_SPLIT', 'processes')
  fails('app = "x"\n[processes]\n  web = "w"\n', 'E_NOTHING_TO_SPLIT', 'processes')
  fails('app = "x"\n[processes]\n  "web.v2" = "w"\n  worker = "k"\n', 'E_GROUP_NAME', 'processes."web.v2"')
  fails('app = "x"\n[processes]\n  web = ""\n  worker = "k"\n', 'E_EMPTY_COMMAND', 'processes.web')
  fails('app = "x"\n[processes]\n  web = "w"\n  worker = "k"\n[[vm]]\n  processes = ["wrker"]\n', 'E_UNKNOWN_GROUP', 'vm[0].processes')
  fails('app = "x"\n[processes]\n  web = "w"\n  worker = "k"\n[[metrics]]\n  port = 9091\n  processes = ["nope"]\n', 'E_UNKNOWN_GROUP', 'metrics[0].processes')
  assert.throws(() => plan(SHOP, {public: 'nope'}), (e: unknown) => e instanceof FlotillaError && e.code === 'E_UNKNOWN_GROUP' && /--public/.test(e.message))
  assert.doesNotThrow(() => plan('app = "x"\n[experimental]\n  cmd = ["run"]\n[processes]\n  web = ""\n  worker = "k"\n'))
})

test('next steps: create, secrets, volumes, then deploy the release app first', () => {
  assert.deepEqual(plan(SHOP, {outDisplay: 'apps'}).steps.map((s) => s.replace(/ {2}#.*/, '')), [
    'fly apps create shop-redis',
    'fly apps create shop-worker',
    'fly secrets list -a shop',
    'fly secrets import --stage -a shop-redis < shop-redis.secrets.env',
    'fly secrets import --stage -a shop-worker < shop-worker.secrets.env',
    'fly volumes create redis_data -a shop-redis -r ams -s 3',
    'fly deploy -c apps/fly.web.toml',
    'fly deploy -c apps/fly.redis.toml',
    'fly deploy -c apps/fly.worker.toml',
  ])
})

test('the workspace lists the apps and keeps existing [app.local] tables', () => {
  const p = plan(SHOP, {existingLocal: {'shop-worker': {count: 2, env_file: '.env.worker'}}})
  const workspace = p.files.at(-1)!.content
  assert.match(workspace, /^# Generated by `flotilla split` from fly\.toml/)
  assert.match(workspace, /\[\[app\]\]\nname = "shop-worker"\nconfig = "fly\.worker\.toml"\ngroup = "worker"\n\n\[app\.local\]\ncount = 2\nenv_file = "\.env\.worker"\n/)
})

test("fly-platform.md 5.2's worked example (flyctl's validate-groups.toml)", async () => {
  const {readFileSync} = await import('node:fs')
  const {fixture} = await import('../helpers/repo.js')
  const p = plan(readFileSync(fixture('fly', 'superfly__flyctl__internal__appconfig__testdata__validate-groups.toml'), 'utf8'))
  const summary = p.apps.map((a) => ({
    name: a.name,
    processes: a.fly.processes,
    services: [...(a.fly.http_service ? ['http 80/443->8080'] : []), ...(a.fly.services ?? []).map((s) => `${s.protocol} ${s.ports?.[0]?.port}->${s.internal_port}`)],
    checks: Object.keys(a.fly.checks ?? {}),
    mounts: (a.fly.mounts ?? []).map((m) => `${m.source}->${m.destination}`),
    region: a.fly.primary_region,
  }))
  assert.deepEqual(summary, [
    {name: 'foo', processes: {app: 'run-nginx'}, services: ['http 80/443->8080', 'tcp 81->1111'], checks: ['listening'], mounts: ['foo->bar'], region: 'ord'},
    {name: 'foo-foo', processes: {foo: 'keep me alive'}, services: ['tcp 81->1111'], checks: ['listening'], mounts: [], region: 'ord'},
    {name: 'foo-vpn', processes: {vpn: 'run-tailscale'}, services: ['udp 80->9999', 'tcp 81->1111'], checks: [], mounts: [], region: 'ord'},
  ])
  for (const a of p.apps) for (const s of a.fly.services ?? []) assert.deepEqual(s.processes, [a.group])
  assert.ok(p.warnings.some((w) => w.code === 'W_SHARED_SERVICE' && w.path === 'services[1]' && /app, foo, vpn|vpn, app, foo/.test(w.message)))
  const sharedPorts = p.warnings.filter((w) => w.code === 'W_SHARED_PORT')
  assert.equal(sharedPorts.length, 1, 'udp 80 and http 80 do not clash')
  assert.match(sharedPorts[0]!.message, /^groups app, foo, vpn all served public port 81\/tcp, /)
})

test('the report lists what each app received, in words', () => {
  const p = plan(`${SHOP}[[vm]]\n  memory = "1gb"\n  cpus = 1\n  processes = ["redis"]\n`)
  assert.deepEqual(app(p, 'redis').received, ['command: redis-server --port 6379 --bind 0.0.0.0', 'volume redis_data at /data', 'vm: 1gb memory, 1 cpu'])
  assert.deepEqual(app(p, 'worker').received, ['command: bin/worker', 'vm: performance-1x'])
})
