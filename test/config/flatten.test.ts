import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {describe, it} from 'node:test'
import {defaultGroup, flatten, type FlyConfig, loadFlyConfig, processGroups, toMachineConfig} from '../../src/config/index.js'
import {fixture} from '../helpers/repo.js'

const flyctlTestdata = (name: string): FlyConfig =>
  load(readFileSync(fixture('fly', `superfly__flyctl__internal__appconfig__testdata__${name}.toml`)))
function load(text: string | Uint8Array, expectedErrors: string[] = []): FlyConfig {
  const {config, diagnostics} = loadFlyConfig(text, 'fly.toml')
  const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.column} ${d.code} ${d.keyPath}`)
  assert.deepEqual(errors, expectedErrors)
  return config
}

describe('process groups and the default group (flyctl processgroups_test)', () => {
  const cases: [string, string[], string][] = [
    ['', ['app'], 'app'],
    ['[processes]\nweb = "./web"', ['web'], 'web'],
    ['[processes]\nzzz = "z"\nbar = "b"\nfoo = "f"', ['bar', 'foo', 'zzz'], 'bar'],
    ['[processes]\nB = "b"\na = "a"', ['B', 'a'], 'B'], // Go sorts by byte, not locale
  ]
  for (const [text, groups, fallback] of cases) {
    it(`${groups.join(',')} -> default ${fallback}`, () => {
      const config = load(text)
      assert.deepEqual(processGroups(config), groups)
      assert.equal(defaultGroup(config), fallback)
    })
  }
  it('processes-multiwithapp.toml: app wins over alphabetical order', () => {
    const config = flyctlTestdata('processes-multiwithapp')
    assert.deepEqual(processGroups(config), ['aaa', 'abc', 'app', 'ass', 'bbb'])
    assert.equal(defaultGroup(config), 'app')
  })
})

describe('toMachineConfig on flyctl’s worked examples (machines_test.go)', () => {
  it('tomachine-processgroups.toml: services and checks per group', () => {
    const config = flyctlTestdata('tomachine-processgroups')
    const http = {protocol: 'tcp', internal_port: 8080, ports: [{port: 80, handlers: ['http']}, {port: 443, handlers: ['http', 'tls']}]}
    const tcp1111 = {protocol: 'tcp', internal_port: 1111}
    const listening = {listening: {type: 'tcp', port: 8080}}
    const expected = {
      app: {cmd: ['run-nginx'], services: [http, tcp1111], checks: listening},
      vpn: {cmd: ['run-tailscale'], services: [{protocol: 'udp', internal_port: 9999}, tcp1111], checks: undefined},
      foo: {cmd: ['keep', 'me', 'alive'], services: [tcp1111], checks: listening},
    }
    for (const [group, want] of Object.entries(expected)) {
      const machine = toMachineConfig(config, group)
      assert.equal(machine.metadata.fly_process_group, group)
      assert.deepEqual(machine.init, {cmd: want.cmd})
      assert.deepEqual(machine.services, want.services, group)
      assert.deepEqual(machine.checks, want.checks, group)
      assert.deepEqual(machine.env, {FLY_PROCESS_GROUP: group, PRIMARY_REGION: 'ord'})
    }
  })

  it('tomachine-compute.toml: unfiltered [[vm]] for all, specific beats it, GPU defaults to performance-8x', () => {
    const config = load(`app = "foo"
[processes]
app = ""
worker = "/worker"
whisper = "/whisperme"
isolated = "/must-run-alone"
[[vm]]
memory = "64gb"
gpu_kind = "a100-pcie-40gb"
processes = ["whisper"]
[[compute]]
host_dedication_id = "lookma-iamsolo"
processes = ["isolated"]
[[vm]]
size = "shared-cpu-2x"
`)
    const guest = (group: string): unknown => toMachineConfig(config, group).guest
    assert.deepEqual(guest('app'), {cpu_kind: 'shared', cpus: 2, memory_mb: 512})
    assert.deepEqual(guest('worker'), {cpu_kind: 'shared', cpus: 2, memory_mb: 512})
    assert.deepEqual(guest('whisper'), {cpu_kind: 'performance', cpus: 8, memory_mb: 65536, gpu_kind: 'a100-pcie-40gb'})
    assert.deepEqual(guest('isolated'), {cpu_kind: 'shared', cpus: 1, memory_mb: 256, host_dedication_id: 'lookma-iamsolo'})
    assert.deepEqual(toMachineConfig(config, 'app').init, {}, 'an empty group command leaves the image CMD')
  })

  it('tomachine-compute-nodefault.toml: groups without a [[vm]] get no guest', () => {
    const config = load('[processes]\napp = ""\nwoo = ""\nbar = ""\n[[vm]]\nsize = "performance-4x"\nprocesses = ["bar"]\n')
    assert.equal(toMachineConfig(config, 'app').guest, undefined)
    assert.equal(toMachineConfig(config, 'woo').guest, undefined)
    assert.deepEqual(toMachineConfig(config, 'bar').guest, {cpu_kind: 'performance', cpus: 4, memory_mb: 8192})
  })

  it('tomachine-hostdedicationid.toml: a [[vm]] host_dedication_id overrides the top-level one', () => {
    const config = load(`host_dedication_id = "toplevel"
[processes]
front = ""
back = ""
other = ""
[[vm]]
size = "shared-cpu-4x"
processes = ["other"]
[[vm]]
host_dedication_id = "specific"
processes = ["back"]
`)
    assert.equal(flatten(config, 'front').host_dedication_id, 'toplevel')
    assert.equal(toMachineConfig(config, 'front').guest, undefined)
    assert.equal(flatten(config, 'back').host_dedication_id, 'specific')
    assert.deepEqual(toMachineConfig(config, 'back').guest, {cpu_kind: 'shared', cpus: 1, memory_mb: 256, host_dedication_id: 'specific'})
    assert.deepEqual(toMachineConfig(config, 'other').guest, {cpu_kind: 'shared', cpus: 4, memory_mb: 1024, host_dedication_id: 'toplevel'})
  })

  it('tomachine-mounts.toml: an unfiltered mount goes to the default group only', () => {
    const config = load(`[processes]
app = ""
back = "back"
hola = "hi!"
[[mounts]]
source = "data"
destination = "/data"
[[mounts]]
source = "trash"
destination = "/trash"
processes = ["back"]
`)
    assert.deepEqual(toMachineConfig(config, 'app').mounts, [{path: '/data', name: 'data'}])
    assert.deepEqual(toMachineConfig(config, 'back').mounts, [{path: '/trash', name: 'trash'}])
    assert.equal(toMachineConfig(config, 'hola').mounts, undefined)
  })

  it('a check without a port takes the group’s http_service port, or fails as flyctl does', () => {
    const config = load(`[processes]
web = "web"
worker = "worker"
[http_service]
internal_port = 3000
processes = ["web"]
[checks.alive]
type = "http"
path = "/up"
method = "get"
processes = ["web", "worker"]
`, ['7:1 E_MACHINE_CONVERSION checks.alive'])
    assert.deepEqual(toMachineConfig(config, 'web').checks, {alive: {type: 'http', path: '/up', method: 'GET', port: 3000}})
    assert.throws(() => toMachineConfig(config, 'worker'), {
      code: 'E_MACHINE_CONVERSION',
      message: "Check 'alive' for process group 'worker' has no port set and the group has no http_service to take it from",
    })
  })

  it('env: FLY_PROCESS_GROUP and PRIMARY_REGION override [env]; stop_config, restart, metrics, init', () => {
    const config = load(`primary_region = "ams"
kill_signal = "SIGTERM"
kill_timeout = 30
swap_size_mb = 512
[env]
FLY_PROCESS_GROUP = "mine"
PRIMARY_REGION = "ord"
PORT = 8080
[experimental]
cmd = "fallback"
entrypoint = ["/entry.sh"]
[processes]
web = "bin/web --port 8080"
jobs = ""
[[restart]]
policy = "always"
[[restart]]
policy = "never"
retries = 3
[[metrics]]
port = 9091
path = "/first"
[[metrics]]
port = 9092
path = "/second"
`)
    const web = toMachineConfig(config, 'jobs')
    assert.deepEqual(web.env, {FLY_PROCESS_GROUP: 'jobs', PRIMARY_REGION: 'ams', PORT: '8080'})
    assert.deepEqual(web.init, {cmd: ['fallback'], entrypoint: ['/entry.sh'], swap_size_mb: 512})
    assert.deepEqual(web.stop_config, {signal: 'SIGTERM', timeout: '30s'})
    assert.deepEqual(web.restart, {policy: 'no', max_retries: 3}, 'the last [[restart]] wins; never -> no')
    assert.deepEqual(web.metrics, {port: 9091, path: '/first'}, 'only the first [[metrics]] is used')
    assert.deepEqual(toMachineConfig(config, 'web').init.cmd, ['bin/web', '--port', '8080'])
    assert.equal(toMachineConfig(config, 'web').restart, undefined, 'unfiltered [[restart]] belongs to the default group')
  })
})

describe('flatten: every row of fly-platform.md §1.4', () => {
  // Groups a, b, c with no `app`, so the default group is `a`.
  const config = load(`app = "shop"
primary_region = "ams"
kill_signal = "SIGINT"
kill_timeout = "5s"
swap_size_mb = 256
console_command = "bin/console"
host_dedication_id = "top"
[processes]
c = "c"
b = "b"
a = "a"
[env]
K = "v"
[build]
image = "img"
[deploy]
release_command = "migrate"
[experimental]
auto_rollback = true
[http_service]
internal_port = 8080
[[services]]
internal_port = 1
processes = ["b"]
[[services.ports]]
port = 1
[[services]]
internal_port = 2
processes = ["b", "c"]
[[services.ports]]
port = 2
[checks.unfiltered]
type = "tcp"
port = 1
[checks.forc]
type = "tcp"
port = 2
processes = ["c"]
[[mounts]]
source = "m0"
destination = "/m0"
[[mounts]]
source = "m1"
destination = "/m1"
processes = ["b"]
[[files]]
guest_path = "/f0"
raw_value = "eA=="
[[files]]
guest_path = "/f1"
raw_value = "eQ=="
processes = ["c", "b"]
[[metrics]]
port = 9000
processes = ["b"]
[[metrics]]
port = 9001
[[restart]]
policy = "always"
processes = ["c"]
[[restart]]
policy = "never"
processes = ["c"]
[[vm]]
size = "shared-cpu-2x"
[[vm]]
size = "performance-1x"
processes = ["c"]
[[vm]]
size = "performance-2x"
processes = ["c"]
[[statics]]
guest_path = "/app/public"
url_prefix = "/static"
`, ['20:1 E_SERVICE_PROCESSES http_service']) // flatten still applies flyctl's rule to an invalid file
  const a = flatten(config, 'a')
  const b = flatten(config, 'b')
  const c = flatten(config, 'c')
  const pick = <T>(f: FlyConfig, get: (f: FlyConfig) => T): T => get(f)

  it('[processes] keeps only the group, so the flattened default group is the group', () => {
    assert.deepEqual([a.processes, b.processes, c.processes], [{a: 'a'}, {b: 'b'}, {c: 'c'}])
    assert.deepEqual([defaultGroup(b), defaultGroup(c)], ['b', 'c'])
    assert.equal(flatten(config).processes?.a, 'a', 'no group means the default group')
  })
  it('[http_service] without processes: default group only', () => {
    assert.deepEqual(a.http_service, {internal_port: 8080, processes: ['a']})
    assert.equal(b.http_service, undefined)
  })
  it('[[services]]: every matching entry, in order, re-tagged with the group', () => {
    assert.deepEqual(b.services?.map((s) => [s.internal_port, s.processes]), [[1, ['b']], [2, ['b']]])
    assert.deepEqual(c.services?.map((s) => s.internal_port), [2])
    assert.equal(a.services, undefined)
  })
  it('[checks]: unfiltered to the default group, filtered where listed', () => {
    assert.deepEqual(Object.keys(a.checks ?? {}), ['unfiltered'])
    assert.equal(b.checks, undefined)
    assert.deepEqual(c.checks, {forc: {type: 'tcp', port: 2, processes: ['c']}})
  })
  it('[[mounts]], [[files]]: unfiltered to the default group only', () => {
    assert.deepEqual([a, b, c].map((f) => f.mounts?.map((m) => m.source)), [['m0'], ['m1'], undefined])
    assert.deepEqual([a, b, c].map((f) => f.files?.map((m) => m.guest_path)), [['/f0'], ['/f1'], ['/f1']])
  })
  it('[[metrics]]: all matching kept, the Machine uses the first', () => {
    assert.deepEqual([a, b, c].map((f) => f.metrics?.map((m) => m.port)), [[9001], [9000], undefined])
  })
  it('[[restart]]: all matching kept, the Machine uses the last', () => {
    assert.deepEqual(c.restart?.map((r) => r.policy), ['always', 'never'])
    assert.deepEqual(toMachineConfig(config, 'c').restart, {policy: 'no'})
    assert.equal(a.restart, undefined)
  })
  it('[[vm]]: unfiltered applies to every group; the last entry naming the group beats it', () => {
    assert.deepEqual([a, b, c].map((f) => f.vm?.map((v) => v.size)), [['shared-cpu-2x'], ['shared-cpu-2x'], ['performance-2x']])
    assert.deepEqual(c.vm?.[0]?.processes, ['c'])
  })
  it('[[vm]] processes = [""] names the default group, as in every other section (ComputeForGroup)', () => {
    const config = load('[processes]\napp = "a"\nworker = "w"\n[[vm]]\nsize = "shared-cpu-2x"\nprocesses = ["worker"]\n[[vm]]\nsize = "performance-1x"\nprocesses = [""]\n')
    assert.deepEqual(['app', 'worker'].map((g) => flatten(config, g).vm?.map((v) => v.size)), [['performance-1x'], ['shared-cpu-2x']])
  })
  it('unfiltered everywhere: statics, env, build, deploy, experimental, top-level scalars', () => {
    for (const f of [a, b, c]) {
      for (const key of ['statics', 'env', 'build', 'deploy', 'experimental', 'app', 'primary_region', 'kill_signal', 'kill_timeout', 'swap_size_mb', 'console_command', 'host_dedication_id']) {
        assert.deepEqual(pick(f, (x) => x[key]), config[key], key)
      }
    }
  })
  it('leaves the input untouched, and its results share nothing with it', () => {
    assert.deepEqual(config.processes, {c: 'c', b: 'b', a: 'a'})
    assert.equal(config.services?.[1]?.processes?.length, 2)
    const before = structuredClone(config)
    const flat = flatten(config, 'b')
    flat.env!.K = 'changed'
    flat.services![0]!.ports![0]!.port = 9
    const machine = toMachineConfig(config, 'a')
    machine.statics![0]!.guest_path = '/elsewhere'
    machine.services![0]!.ports![0]!.port = 9
    assert.deepEqual(config, before)
  })
})
