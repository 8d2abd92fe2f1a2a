import assert from 'node:assert/strict'
import {mkdir, readdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {FlotillaError} from '../../src/errors.js'
import {importFile, writeImport, type ImportReport} from '../../src/importers/index.js'
import {fixture, fixturesDir, repoRoot, tempDir} from '../helpers/repo.js'

// Every real fixture, read in place, imported --to groups into a fresh fly.toml; the fly.toml,
// the mappings and the warnings (or the located error) must match test/importers/golden/ byte
// for byte. UPDATE_GOLDEN=1 rewrites the golden files (review the diff before committing).
const kinds = {procfile: 'procfile', supervisord: 'supervisord', script: 'entrypoint'} as const
const goldenDir = join(repoRoot, 'test', 'importers', 'golden')
const update = process.env.UPDATE_GOLDEN === '1'

for (const [kind, folder] of Object.entries(kinds) as [keyof typeof kinds, string][]) {
  for (const name of (await readdir(fixture(folder))).sort()) {
    test(`golden: import ${kind} ${name}`, async (t) => {
      const dir = await tempDir(t)
      const actual = await render(kind, fixture(folder, name), dir)
      const goldenFile = join(goldenDir, folder, `${name}.txt`)
      if (update) {
        await mkdir(join(goldenDir, folder), {recursive: true})
        await writeFile(goldenFile, actual)
      }
      assert.equal(actual, await readFile(goldenFile, 'utf8'))
    })
  }
}

async function render(kind: keyof typeof kinds, file: string, dir: string): Promise<string> {
  const clean = (text: string): string => text.replaceAll(`${fixturesDir}/`, '').replaceAll(dir, '<out>')
  let report: ImportReport
  try {
    const plan = await importFile(kind, file)
    report = await writeImport(plan, {to: 'groups', config: join(dir, 'fly.toml'), app: 'golden', force: false, invocation: `flotilla import ${kind} FILE`})
  } catch (error) {
    if (!(error instanceof FlotillaError)) throw error
    return clean(`error ${error.code}: ${error.message}\n`)
  }
  const lines = [
    '## mapped',
    ...report.mappings.map((m) => `${m.file}${m.line ? `:${m.line}` : ''}  ${m.from}  ->  ${m.to}`),
    '## warnings',
    ...report.warnings.map((w) => `${w.code} ${w.file}${w.line ? `:${w.line}` : ''}: ${w.message}`),
    '## fly.toml',
    await readFile(join(dir, 'fly.toml'), 'utf8'),
  ]
  return clean(lines.join('\n'))
}
