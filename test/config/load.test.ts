import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'
import {type Diagnostic, loadFlyConfig} from '../../src/config/index.js'
import {fixture} from '../helpers/repo.js'

const testdata = (name: string): Buffer => readFileSync(fixture('fly', `superfly__flyctl__internal__appconfig__testdata__${name}.toml`))
/** `LINE:COL CODE keyPath: message` per diagnostic, the form the assertions compare. */
const render = (diagnostics: Diagnostic[]): string[] => diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.keyPath}: ${d.message}`)

describe('legacy patches on flyctl’s testdata (serde_test.go expectations)', () => {
  it('old-format.toml', () => {
    const {config, diagnostics} = loadFlyConfig(testdata('old-format'), 'old-format.toml')
    assert.deepEqual(diagnostics, [])
    assert.deepEqual(config, {
      app: 'foo',
      build: {'build-target': 'thalayer'},
      env: {FOO: 'STRING', BAR: '123'},
      mounts: [{source: 'data', destination: '/data'}],
      metrics: [{port: 9999, path: '/metrics'}],
      services: [{
        internal_port: 8080,
        auto_stop_machines: 'off',
        ports: [{port: 80, handlers: ['http']}],
        concurrency: {type: 'requests', hard_limit: 23, soft_limit: 12},
        tcp_checks: [{interval: '10s', timeout: '2s'}, {interval: '20s', timeout: '3s'}],
        http_checks: [
          {interval: '30s', timeout: '4s', headers: {origin: 'http://localhost:8000'}},
          {interval: '20s', timeout: '3s', headers: {'fly-healthcheck': '1', metoo: 'true', astring: 'string'}},
        ],
      }],
    })
  })

  it('old-processes.toml: [[processes]] name/command -> map', () => {
    assert.deepEqual(loadFlyConfig(testdata('old-processes'), 'f').config, {processes: {web: './web', worker: './worker'}})
  })

  it('format-quirks.toml: singular [vm]/[mount], numeric memory and initial_size', () => {
    assert.deepEqual(loadFlyConfig(testdata('format-quirks'), 'f').config, {
      app: 'foo',
      vm: [{memory: '512'}],
      mounts: [{source: 'data', destination: '/data', initial_size: '200', snapshot_retention: 10}],
    })
  })

  it('env-list.toml: [[env]] tables merged, values stringified', () => {
    assert.deepEqual(loadFlyConfig(testdata('env-list'), 'f').config.env, {FOO: 'BAR', TWO: '2', TRUE: 'true'})
  })

  it('experimental-alt: string cmd/exec/entrypoint, kill_timeout in seconds, metrics_* moved', () => {
    const text = 'app = "foo"\n[experimental]\ncmd = "cmd"\nexec = "exec"\nentrypoint = "entrypoint"\nkill_timeout = 3\nmetrics_port = 9000\nmetrics_path = "/foo"\n'
    const {config, diagnostics} = loadFlyConfig(text, 'f')
    assert.deepEqual(diagnostics, [])
    assert.deepEqual(config, {
      app: 'foo', kill_timeout: '3s', metrics: [{port: 9000, path: '/foo'}],
      experimental: {cmd: ['cmd'], exec: ['exec'], entrypoint: ['entrypoint']},
    })
  })

  it('old-pg-checks: empty header list dropped; legacy checks array keyed by name; ms integers', () => {
    assert.deepEqual(loadFlyConfig('[checks.pg]\ntype = "http"\nport = 5500\npath = "/flycheck/pg"\nheaders = []\n', 'f').config, {
      checks: {pg: {type: 'http', port: 5500, path: '/flycheck/pg'}},
    })
    const legacy = '[[checks]]\nname = "alive"\ntype = "tcp"\nport = 80\ninterval = 15000\ngrace_period = ""\n'
    assert.deepEqual(loadFlyConfig(legacy, 'f').config, {checks: {alive: {type: 'tcp', port: 80, interval: '15s'}}})
  })

  it('processes = [] and empty [[services]] disappear', () => {
    assert.deepEqual(loadFlyConfig('app = "x"\nprocesses = []\n[[services]]\n', 'f').config, {app: 'x'})
  })

  it('always-invalid-v2.toml: the concurrency flyctl cannot read is an error at its line', () => {
    const {config, diagnostics} = loadFlyConfig(testdata('always-invalid-v2'), 'fly.toml')
    assert.deepEqual(render(diagnostics.filter((d) => d.severity === 'error')), [
      '24:17 E_TYPE services[0].concurrency: Unknown type for service concurrency: int64',
    ])
    assert.equal(config.services?.[0]?.internal_port, 8080, 'the rest of the file is still read')
  })
})

describe('diagnostics are located at the text the user wrote', () => {
  it('type errors, unknown keys with did-you-mean, case-insensitive keys, nanosecond durations', () => {
    const text = [
      'app = "shop"',
      'Primary_Region = "ams"',
      '[http_service]',
      '  internal_port = "8080"',
      '  auto_stop_machines = true',
      '[[services]]',
      '  intenal_port = 9000',
      '  processes = ["app"]',
      '  ports = [{port = 80, handlrs = ["http"]}]',
      '[deploy]',
      '  wait_timeout = 300',
      '[servces]',
    ].join('\n')
    const {config, diagnostics} = loadFlyConfig(text, 'fly.toml')
    assert.deepEqual(render(diagnostics), [
      "2:1 W_KEY_CASE Primary_Region: flyctl reads 'Primary_Region' as 'primary_region' (keys match case-insensitively); write it as 'primary_region'",
      '4:19 E_TYPE http_service.internal_port: expected an integer, found a string; flyctl rejects the whole file',
      "7:3 W_UNKNOWN_KEY services[0].intenal_port: unknown key 'intenal_port' in services[0], flyctl ignores it; did you mean 'internal_port'?",
      "9:24 W_UNKNOWN_KEY services[0].ports[0].handlrs: unknown key 'handlrs' in services[0].ports[0], flyctl ignores it; did you mean 'handlers'?",
      '11:18 W_DURATION_NANOSECONDS deploy.wait_timeout: a bare number here is read as nanoseconds (300ns); write a duration string such as "10s"',
      "12:1 W_UNKNOWN_KEY servces: unknown key 'servces', flyctl ignores it; did you mean 'services'?",
    ])
    assert.equal(config.primary_region, 'ams')
    assert.equal(config.http_service?.auto_stop_machines, 'stop')
    assert.equal(config.deploy?.wait_timeout, '300ns')
  })

  it('value errors point at the value, also inside inline tables and multi-line arrays; key errors at the key', () => {
    const text = [
      '[[services]]', //                                                   1
      'internal_port = "abc"', //                                          2
      'processes = ["app"]', //                                            3
      'ports = [{port = 80, handlers = "http"}, { port = 443, force_https = 1 }]', // 4
      'concurrency = {type = "requests", hard_limit = "25"}', //          5
      '[[vm]]', //                                                         6
      'processes = [', //                                                  7
      '  "app",', //                                                       8
      '  2,', //                                                           9
      ']', //                                                              10
      'cpus.x = 1', //                                                     11
      'cpu_kinds = "shared"', //                                           12
    ].join('\n')
    assert.deepEqual(render(loadFlyConfig(text, 'fly.toml').diagnostics).map((l) => l.split(': ')[0]), [
      '2:17 E_TYPE services[0].internal_port',
      '4:33 E_TYPE services[0].ports[0].handlers',
      '4:70 E_TYPE services[0].ports[1].force_https',
      '5:48 E_TYPE services[0].concurrency.hard_limit',
      '9:3 E_TYPE vm[0].processes[1]',
      '11:1 E_TYPE vm[0].cpus',
      '12:1 W_UNKNOWN_KEY vm[0].cpu_kinds',
    ])
  })

  it('a wrong-typed value inside a map or list drops only that value', () => {
    const {config, diagnostics} = loadFlyConfig('[processes]\nweb = "bin/web"\nworker = 1\n[[vm]]\nprocesses = ["web", 2]\n', 'fly.toml')
    assert.deepEqual(render(diagnostics), [
      '3:10 E_TYPE processes.worker: expected a string, found an integer; flyctl rejects the whole file',
      '5:21 E_TYPE vm[0].processes[1]: expected a string, found an integer; flyctl rejects the whole file',
    ])
    assert.deepEqual(config.processes, {web: 'bin/web'})
    assert.deepEqual(config.vm, [{processes: ['web']}])
  })

  it('legacy aliases point at the alias, not the normalised key', () => {
    const text = 'app = "x"\n[[env]]\nA = "1"\n[[env]]\nB = 2\n[compute]\nmemory = "0"\n[[mounts]]\nsource = "d"\ndestination = "/d"\nsnapshot_retention = 90\n'
    const {diagnostics} = loadFlyConfig(text, 'fly.toml')
    assert.deepEqual(diagnostics.map((d) => d.configPath), ['vm[0]', undefined], 'configPath: the place in the normalised config')
    assert.deepEqual(render(diagnostics), [
      "6:1 E_MACHINE_CONVERSION compute: Converting to machine in process group 'app' will fail because of: memory cannot be zero",
      "11:22 E_MOUNT mounts[0].snapshot_retention: mount 'd' has a snapshot_retention value which is not between 1 and 60 days inclusive",
    ])
  })

  it('quoted and dotted keys, inline tables and arrays of tables inside arrays', () => {
    const text = [
      '[processes]',
      '  "web" = "bin/web \'unclosed"',
      '[checks]',
      '  alive.type = "udp"',
      '  alive.port = 1',
      '[[services]]',
      '  processes = ["web"]',
      '  internal_port = 1',
      '  [[services.ports]]',
      '    port = 1',
      '  [[services.tcp_checks]]',
      '    interval = "0.5s"',
    ].join('\n')
    assert.deepEqual(render(loadFlyConfig(text, 'fly.toml').diagnostics), [
      "2:11 E_SHELL_SPLIT processes.web: Could not parse command for 'web' process group; check [processes] section: EOF found when expecting closing quote",
      "4:16 E_CHECK_TYPE checks.alive.type: Can't process top level check 'alive': Missing or invalid check type, must be 'http' or 'tcp'",
      '12:16 W_CHECK_DURATION services[0].tcp_checks[0].interval: Service TCP check has an interval less than 1 second (500ms); this will be raised to 1 second',
    ])
  })

  it('validate-groups.toml with a canary strategy: canary with mounts is an error', () => {
    const text = `${testdata('validate-groups').toString('utf8')}\n[deploy]\nstrategy = "canary"\n`
    assert.deepEqual(render(loadFlyConfig(text, 'fly.toml').diagnostics), [
      '40:12 E_DEPLOY_STRATEGY deploy.strategy: canary deployment strategy is not supported when using mounted volumes',
    ])
  })

  it('validate-mounts: sizes below 1GB, two mounts in one group', () => {
    const text = '[[mounts]]\nsource = "a"\ndestination = "/a"\ninitial_size = "15Mb"\n[[mounts]]\nsource = "b"\ndestination = "/b"\n'
    assert.deepEqual(render(loadFlyConfig(text, 'fly.toml').diagnostics), [
      "1:1 W_GROUP_MOUNTS mounts: group 'app' has more than one [[mounts]] section defined; fly deploy uses only the first",
      "4:16 E_MOUNT mounts[0].initial_size: mount 'a' has an initial_size '15Mb' value which is smaller than 1GB",
    ])
  })

  it('multi-group apps: unfiltered sections that reach the default group only; the fly launch processes default', () => {
    const text = [
      'kill_signal = "SIGHUP"',
      '[processes]',
      '  web = "web"',
      '  worker = "worker"',
      '[[mounts]]',
      '  source = "data"',
      '  destination = "/data"',
      '[checks.alive]',
      '  type = "tcp"',
      '  port = 8080',
      '[http_service]',
      '  internal_port = 8080',
      "  processes = ['app']",
    ].join('\n')
    assert.deepEqual(render(loadFlyConfig(text, 'fly.toml').diagnostics), [
      "1:15 W_KILL_SIGNAL kill_signal: kill_signal 'SIGHUP' is not one Fly supports (SIGINT, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGKILL, SIGSTOP)",
      "5:1 W_DEFAULT_GROUP_ONLY mounts[0]: [[mounts]] has no processes filter, so it applies to the default group 'web' only, not to worker",
      "8:1 W_DEFAULT_GROUP_ONLY checks.alive: [checks.alive] has no processes filter, so it applies to the default group 'web' only, not to worker",
      "13:16 E_UNKNOWN_GROUP http_service.processes[0]: Service specifies 'app' as one of its processes, but no processes are defined with that name; update fly.toml [processes] to add 'app' process or remove it from service's processes list (fly launch's default processes = ['app'] needs an 'app' group; this file has web, worker)",
    ])
  })

  it('restart policies and groups, compression, release and console commands', () => {
    const text = [
      "console_command = 'rails c \\'",
      '[processes]',
      '  web = "web"',
      '[build]',
      '  compression = "brotli"',
      '  compression_level = 11',
      '[deploy]',
      '  strategy = "bluegreen"',
      '  release_command = "migrate \'x"',
      '[[restart]]',
      '  policy = "sometimes"',
      '  processes = ["worker"]',
    ].join('\n')
    assert.deepEqual(render(loadFlyConfig(text, 'fly.toml').diagnostics).map((l) => l.split(':').slice(0, 2).join(':')), [
      '1:19 E_SHELL_SPLIT console_command',
      '5:17 E_COMPRESSION build.compression',
      '6:23 E_COMPRESSION build.compression_level',
      '9:21 E_SHELL_SPLIT deploy.release_command',
      '11:12 E_RESTART_POLICY restart[0].policy',
      '12:16 E_UNKNOWN_GROUP restart[0].processes[0]',
    ])
  })
})

describe('names flyctl does not check client-side are warnings', () => {
  it('an app name the API refuses, group names that are not DNS labels, FLY_* in [env]', () => {
    const text = [
      'app = "Bad_Name"',
      '[processes]',
      '  "bad group" = "bin/worker"',
      '  web_v2 = "bin/web"',
      '  -edge = "bin/edge"',
      '[env]',
      '  FLY_REGION = "ams"',
      '  FLY_CUSTOM = "1"',
      '  FLYER = "ok"',
      '[[services]]',
      '  processes = ["web_v2"]',
    ].join('\n')
    const {diagnostics} = loadFlyConfig(text, 'fly.toml')
    assert.deepEqual(render(diagnostics).map((l) => l.split(':').slice(0, 2).join(':')), [
      '1:7 W_APP_NAME app',
      '3:3 W_GROUP_NAME processes."bad group"',
      '5:3 W_GROUP_NAME processes.-edge',
      '7:3 W_RESERVED_ENV env.FLY_REGION',
      '8:3 W_RESERVED_ENV env.FLY_CUSTOM',
      '10:1 W_SERVICE_PORTS services[0]',
    ])
    assert.match(diagnostics[0]!.message, /"Bad_Name" must consist of only lowercase letters, numbers, and dashes; .*Fly API will refuse/)
    assert.match(diagnostics[1]!.message, /"bad group\.process\.<app>\.internal" cannot resolve; flyctl accepts it, flotilla split refuses it$/)
    assert.match(diagnostics[3]!.message, /platform's value instead/)
    assert.match(diagnostics[4]!.message, /may set it/)
  })

  it('app names: a dash at either end and more than 63 characters', () => {
    const codes = (app: string): string[] => loadFlyConfig(`app = "${app}"`, 'f').diagnostics.map((d) => d.code)
    assert.deepEqual(codes('-shop'), ['W_APP_NAME'])
    assert.deepEqual(codes('a'.repeat(64)), ['W_APP_NAME'])
    assert.deepEqual(codes('a'.repeat(63)), [])
    assert.deepEqual(codes('shop-2'), [])
  })
})

describe('unknown and legacy keys come with the likely fix', () => {
  it('a subsection setting one level too high, a group filter where there is none, settings Fly lacks (cron)', () => {
    const text = [
      '[http_service]', //                        1
      '  internal_port = 8080', //                2
      '  max_machines_running = 2', //            3
      '  hard_limit = 3', //                      4
      '  [[http_service.checks]]', //             5
      '    processes = ["web"]', //               6
      '[[services]]', //                          7
      '  internal_port = 80', //                  8
      '  force_https = true', //                  9
      '  [[services.ports]]', //                  10
      '    port = 80', //                         11
      '[[cron]]', //                              12
      '  schedule = "@daily"', //                 13
    ].join('\n')
    assert.deepEqual(loadFlyConfig(text, 'fly.toml').diagnostics.map((d) => `${d.line} ${d.message.replace(/^.*flyctl ignores it; /, '')}`), [
      '3 Fly has no maximum: the Machines that exist (fly scale count) are the most that run',
      '4 it belongs in [http_service.concurrency]',
      '6 this section cannot be limited to process groups',
      '9 it belongs in [[services.ports]]',
      '12 fly.toml has no scheduled jobs: use `fly machine run --schedule hourly|daily|weekly|monthly`, or a process group running a scheduler such as supercronic',
    ])
  })

  it('Nomad-era keys: a real restart_limit says what Machines do instead', () => {
    const text = '[[services]]\n  script_checks = []\n  [[services.ports]]\n    port = 80\n  [[services.tcp_checks]]\n    restart_limit = 0\n  [[services.http_checks]]\n    restart_limit = 3\n'
    assert.deepEqual(loadFlyConfig(text, 'fly.toml').diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message.replace(/^.*flyctl ignores/, '')}`), [
      '2:3 W_LEGACY_KEY ; remove it',
      '6:5 W_LEGACY_KEY ; remove it',
      '8:5 W_LEGACY_KEY : on Machines a failing check takes the Machine out of routing but never restarts it; remove it',
    ])
  })
})
