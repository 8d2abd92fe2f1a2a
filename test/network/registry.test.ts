import assert from 'node:assert/strict'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {LocatedError} from '../../src/errors.js'
import {Registry, MAX_REGISTRY_FILE_BYTES, stableMachineId, type Instance} from '../../src/network/index.js'
import {tempDir} from '../helpers/repo.js'

const web: Instance = {id: '148e21dad76789', app: 'shop', group: 'web', region: 'ams', ip: 'fdaa:0:1:a7b:1::2', state: 'started', metadata: {}}

test('mutations swap whole frozen snapshots and emit change', () => {
  const registry = new Registry()
  const seen: number[] = []
  registry.on('change', (s: Registry['snapshot']) => seen.push(s.version))
  registry.upsert(web)
  const before = registry.snapshot
  registry.upsert({...web, id: '4d89699c030518', region: 'sea', ip: 'fdaa:0:1:a7b:1::3'})
  registry.setState('shop', web.id, 'stopped')
  assert.equal(before.instances.length, 1, 'an old snapshot never changes')
  assert.ok(Object.isFrozen(before.instances) && Object.isFrozen(before.instances[0]))
  assert.deepEqual(registry.instances().map((i) => [i.id, i.state]), [[web.id, 'stopped'], ['4d89699c030518', 'started']])
  registry.remove('shop', web.id)
  assert.deepEqual(seen, [1, 2, 3, 4])
  assert.deepEqual(registry.apps(), ['shop'])
  assert.throws(() => registry.setState('shop', 'ffffffffffffff', 'started'), /no instance ffffffffffffff/)
  assert.throws(() => registry.upsert({...web, ip: '10.0.0.1'}), /instance\.ip: must be an IPv6 address/)
})

test('toJSON and fromJSON round-trip the registry file of architecture.md', () => {
  const file = {apps: [{name: 'shop', instances: [{id: web.id, group: 'web', region: 'ams', ip: web.ip, state: 'started', metadata: {role: 'primary'}}]}]}
  assert.deepEqual(Registry.fromJSON(file, 'r.json').toJSON(), file)
})

test('fromJSON names the file and the key path of the first problem', () => {
  const cases: [unknown, string][] = [
    [[], 'r.json: (root): must be an object'],
    [{apps: {}}, 'r.json: apps: must be an array'],
    [{apps: [{name: 'Shop!', instances: []}]}, 'r.json: apps[0].name: must be a Fly app name'],
    [{apps: [{name: 'shop', instances: [{...web, ip: 'fd00::zz'}]}]}, 'r.json: apps[0].instances[0].ip: must be an IPv6 address'],
    [{apps: [{name: 'shop', instances: [{...web, state: 'running'}]}]}, 'r.json: apps[0].instances[0].state: must be "started" or "stopped"'],
    [{apps: [{name: 'shop', instances: [{...web, id: 'x'.repeat(64)}]}]}, 'r.json: apps[0].instances[0].id: must be a machine id'],
    [{apps: [{name: 'shop', instances: [web, web]}]}, 'r.json: apps[0].instances[1].id: duplicate instance id'],
    [{apps: [{name: 'shop', instances: [{...web, metadata: {a: 1}}]}]}, 'r.json: apps[0].instances[0].metadata.a: must be a string'],
  ]
  for (const [data, message] of cases) {
    assert.throws(() => Registry.fromJSON(data, 'r.json'), (error: unknown) => {
      assert.ok(error instanceof LocatedError)
      assert.equal(error.code, 'E_REGISTRY_INVALID')
      assert.ok(error.message.startsWith(message), `${error.message} should start with ${message}`)
      return true
    })
  }
})

test('readFile: JSON syntax errors carry line:col; garbage and oversized files are refused', async (t) => {
  const dir = await tempDir(t)
  const broken = join(dir, 'broken.json')
  await writeFile(broken, '{"apps": [\n  {"name": "shop",}\n]}')
  await assert.rejects(Registry.readFile(broken), (e: LocatedError) => e.code === 'E_REGISTRY_SYNTAX' && e.location.line === 2 && e.location.column === 19)
  const binary = join(dir, 'binary.json')
  await writeFile(binary, Buffer.from([0xff, 0xfe, 0x00, 0x7b]))
  await assert.rejects(Registry.readFile(binary), (e: LocatedError) => e.code === 'E_REGISTRY_READ' && /not UTF-8/.test(e.message))
  const huge = join(dir, 'huge.json')
  await writeFile(huge, Buffer.alloc(MAX_REGISTRY_FILE_BYTES + 1, 0x20))
  await assert.rejects(Registry.readFile(huge), (e: LocatedError) => e.code === 'E_REGISTRY_TOO_LARGE' && e.message.startsWith(huge))
  await assert.rejects(Registry.readFile(join(dir, 'missing.json')), (e: LocatedError) => e.code === 'E_REGISTRY_READ')
  const good = join(dir, 'good.json')
  await writeFile(good, JSON.stringify({apps: [{name: 'shop', instances: [web]}]}))
  assert.equal((await Registry.readFile(good)).instances()[0]?.ip, web.ip)
})

test('stableMachineId is 14 hex digits and stable', () => {
  assert.match(stableMachineId('shop'), /^[0-9a-f]{14}$/)
  assert.equal(stableMachineId('shop'), stableMachineId('shop'))
  assert.notEqual(stableMachineId('shop'), stableMachineId('shop-worker'))
})
