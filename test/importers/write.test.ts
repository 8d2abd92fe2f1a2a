import assert from 'node:assert/strict'
import {readdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {parseToml} from '../../src/config/index.js'
import {FlotillaError, LocatedError} from '../../src/errors.js'
import {importProcfile, writeImport} from '../../src/importers/index.js'
import {parseWorkspace} from '../../src/workspace/index.js'
import {tempDir} from '../helpers/repo.js'

// smol-toml returns null-prototype tables; compare plain copies.
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

const procfile = 'release: bin/migrate\nweb: bin/web --port $PORT\nworker: bin/worker\n'
const options = (dir: string, extra: {to?: 'groups' | 'apps'; force?: boolean} = {}) =>
  ({to: extra.to ?? 'groups', config: join(dir, 'fly.toml'), force: extra.force ?? false, invocation: 'flotilla import procfile Procfile'}) as const

test('--to groups merges into an existing fly.toml, keeping its sections; [processes] already there needs --force', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'fly.toml'), '# mine\napp = "shop"\nprimary_region = "ams"\n[build]\ndockerfile = "Dockerfile"\n[[mounts]]\nsource = "data"\ndestination = "/data"\n[http_service]\ninternal_port = 3000\n')
  const report = await writeImport(importProcfile(procfile, 'Procfile'), options(dir))
  const config = parseToml(await readFile(join(dir, 'fly.toml')), 'fly.toml')
  assert.equal(config.app, 'shop')
  assert.deepEqual(plain(config.build), {dockerfile: 'Dockerfile'})
  assert.deepEqual(plain(config.mounts), [{source: 'data', destination: '/data'}])
  assert.deepEqual(plain(config.processes), {web: "sh -c 'exec bin/web --port $PORT'", worker: 'bin/worker'})
  assert.deepEqual(plain(config.deploy), {release_command: 'bin/migrate'})
  assert.equal((config.http_service as {internal_port: number}).internal_port, 3000)
  assert.deepEqual(plain((config.http_service as {processes: string[]}).processes), ['web'])
  assert.ok(report.warnings.some((w) => w.code === 'W_COMMENTS_DROPPED'))
  const before = await readFile(join(dir, 'fly.toml'), 'utf8')
  await assert.rejects(writeImport(importProcfile(procfile, 'Procfile'), options(dir)), (e: FlotillaError) => e.code === 'E_EXISTS')
  assert.equal(await readFile(join(dir, 'fly.toml'), 'utf8'), before)
  await writeImport(importProcfile('web: other\n', 'Procfile'), options(dir, {force: true}))
  assert.deepEqual(plain(parseToml(await readFile(join(dir, 'fly.toml')), 'fly.toml').processes), {web: 'other'})
})

test('--to apps writes one fly.<group>.toml per group and a flotilla.toml that parses; web keeps the app name', async (t) => {
  const dir = await tempDir(t)
  const report = await writeImport(importProcfile(procfile, 'Procfile'), {...options(dir, {to: 'apps'}), app: 'shop'})
  assert.deepEqual((await readdir(dir)).sort(), ['flotilla.toml', 'fly.web.toml', 'fly.worker.toml'])
  const ws = parseWorkspace(await readFile(join(dir, 'flotilla.toml')), join(dir, 'flotilla.toml'))
  // The Procfile's release: runs in web's app, and flotilla.toml says so (split and ci read it back).
  assert.deepEqual(ws.apps.map((a) => [a.name, a.config, a.group, a.release]), [['shop', 'fly.web.toml', 'web', true], ['shop-worker', 'fly.worker.toml', 'worker', undefined]])
  const web = parseToml(await readFile(join(dir, 'fly.web.toml')), 'fly.web.toml')
  const worker = parseToml(await readFile(join(dir, 'fly.worker.toml')), 'fly.worker.toml')
  assert.deepEqual(plain(web.deploy), {release_command: 'bin/migrate'})
  assert.equal(worker.deploy, undefined)
  assert.equal(worker.http_service, undefined)
  assert.deepEqual(plain(web.env), {PORT: '8080'})
  assert.deepEqual(report.steps.filter((s) => /^fly (apps create|deploy)/.test(s)), ['fly apps create shop', 'fly apps create shop-worker', 'fly deploy -c fly.web.toml', 'fly deploy -c fly.worker.toml'])
  await assert.rejects(writeImport(importProcfile(procfile, 'Procfile'), {...options(dir, {to: 'apps'}), app: 'shop'}), (e: FlotillaError) => e.code === 'E_EXISTS')

  const noRelease = await tempDir(t)
  await writeImport(importProcfile('web: bin/web\nworker: bin/worker\n', 'Procfile'), {...options(noRelease, {to: 'apps'}), app: 'shop'})
  assert.doesNotMatch(await readFile(join(noRelease, 'flotilla.toml'), 'utf8'), /release/)
})

test('a plan with errors writes nothing', async (t) => {
  const dir = await tempDir(t)
  await assert.rejects(writeImport(importProcfile('web: a\nweb: b\n', 'Procfile'), options(dir)),
    (e: LocatedError) => e.code === 'E_PROCFILE_DUPLICATE' && e.message === 'Procfile:2:1: process "web" is already defined on line 1 (overmind and honcho refuse this; foreman would run both)')
  assert.deepEqual(await readdir(dir), [])
})
