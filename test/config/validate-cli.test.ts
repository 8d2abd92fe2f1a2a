import assert from 'node:assert/strict'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {fixture, runCli, tempDir} from '../helpers/repo.js'

// Runs the built CLI: `npx tsc -p tsconfig.build.json; npx oclif manifest` first.
describe('flotilla validate', () => {
  it('a valid file with warnings: located warnings on stderr, summary on stdout, exit 0', async () => {
    const file = fixture('fly', 'Carbonable__carbonable-indexer-rs__fly.staging.toml')
    const {code, stdout, stderr} = await runCli(['validate', file])
    assert.equal(code, 0)
    assert.equal(stdout, `${file}: valid, 0 errors, 4 warnings; groups: api, event_store, indexer (default api)\n`)
    assert.match(stderr, new RegExp(`^${file}:28:1: warning: unknown key 'min_machine_running' in services\\[0\\], flyctl ignores it; did you mean 'min_machines_running'\\?$`, 'm'))
    assert.equal(stderr.trim().split('\n').length, 4)
  })

  it('an invalid file: located errors, exit 2', async () => {
    const file = fixture('fly', 'emezac__vibevoyage__fly.toml')
    const {code, stdout, stderr} = await runCli(['validate', file])
    assert.equal(code, 2)
    assert.match(stdout, /: invalid, 1 error, 0 warnings; groups: web, worker \(default web\)\n$/)
    assert.equal(stderr, `${file}:13:1: error: Service has no processes set but app has 2 processes defined; update fly.toml to set processes for each service\n`)
  })

  it('--json: the report document, exit code still 2 for errors', async () => {
    const file = fixture('fly', 'superfly__flyctl__internal__appconfig__testdata__always-invalid-v2.toml')
    const {code, stdout} = await runCli(['validate', file, '--json'])
    assert.equal(code, 2)
    const report = JSON.parse(stdout)
    assert.deepEqual(Object.keys(report), ['file', 'valid', 'errors', 'warnings', 'groups', 'defaultGroup'])
    assert.equal(report.valid, false)
    assert.deepEqual(report.errors, [{
      severity: 'error', code: 'E_TYPE', message: 'Unknown type for service concurrency: int64', file, line: 24, column: 17, keyPath: 'services[0].concurrency',
    }])
    assert.deepEqual(report.warnings.map((w: {code: string}) => w.code), ['W_BUILD_STRATEGIES', 'W_SERVICE_PORTS'])
    assert.deepEqual([report.groups, report.defaultGroup], [['app'], 'app'])
  })

  it('a TOML syntax error is a located error in text and JSON', async () => {
    const file = fixture('fly', 'brianjp93__lolsite@c968ab7__fly.toml')
    const text = await runCli(['validate', file])
    assert.equal(text.code, 2)
    assert.equal(text.stderr, `${file}:9:2: error: trying to redefine an already defined table or value\n`)
    const json = await runCli(['validate', file, '--json'])
    assert.equal(json.code, 2)
    assert.deepEqual(JSON.parse(json.stdout), {
      file, valid: false, groups: [], defaultGroup: null, warnings: [],
      errors: [{severity: 'error', code: 'E_TOML_SYNTAX', message: 'trying to redefine an already defined table or value', file, line: 9, column: 2}],
    })
  })

  it('defaults to ./fly.toml, accepts a directory, reads CRLF with a BOM', async (t) => {
    const dir = await tempDir(t)
    await writeFile(join(dir, 'fly.toml'), '\ufeffapp = "shop"\r\n# web and jobs\r\n[processes]\r\n  web = "bin/web"\r\n  jobs = "bin/jobs"\r\n')
    const inDir = await runCli(['validate'], {cwd: dir})
    assert.deepEqual([inDir.code, inDir.stdout, inDir.stderr], [0, 'fly.toml: valid, 0 errors, 0 warnings; groups: jobs, web (default jobs)\n', ''])
    const byDir = await runCli(['validate', dir, '--json'])
    assert.equal(JSON.parse(byDir.stdout).file, join(dir, 'fly.toml'))
  })

  it('a missing file is a usage error, exit 2', async (t) => {
    const dir = await tempDir(t)
    const {code, stderr} = await runCli(['validate', 'nope.toml'], {cwd: dir})
    assert.equal(code, 2)
    assert.equal(stderr, 'flotilla: nope.toml: no such file\n')
  })
})
