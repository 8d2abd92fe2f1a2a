import assert from 'node:assert/strict'
import {mkdir, readdir, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import type {FlotillaError} from '../../src/errors.js'
import {writeFilesAtomic} from '../../src/files/index.js'
import {tempDir} from '../helpers/repo.js'

/** Every file under `dir`, recursively, with its content: what a failed write must leave as it was. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true})
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
  return Object.fromEntries(await Promise.all(files.map(async (f) => [f.slice(dir.length + 1), await readFile(f, 'utf8')])))
}

test('writes every file, creating missing directories, and leaves no temporary file', async (t) => {
  const dir = await tempDir(t)
  await writeFilesAtomic([
    {path: join(dir, 'a.toml'), content: 'a'},
    {path: join(dir, 'deep', 'er', 'b.yml'), content: 'b'},
  ])
  assert.deepEqual(await snapshot(dir), {'a.toml': 'a', [join('deep', 'er', 'b.yml')]: 'b'})
})

test('an existing target is refused without force and replaced with it', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'kept'), 'old')
  const files = [{path: join(dir, 'new'), content: 'n'}, {path: join(dir, 'kept'), content: 'replaced'}]
  await assert.rejects(writeFilesAtomic(files), (e: FlotillaError) => e.code === 'E_EXISTS' && e.message.includes(join(dir, 'kept')))
  assert.deepEqual(await snapshot(dir), {kept: 'old'})
  await writeFilesAtomic(files, {force: true})
  assert.deepEqual(await snapshot(dir), {kept: 'replaced', new: 'n'})
})

test('a target that cannot be written leaves every target untouched, no temporary file and no created directory', async (t) => {
  const dir = await tempDir(t)
  await mkdir(join(dir, 'existing'))
  await writeFile(join(dir, 'existing', 'one.toml'), 'before')
  // A regular file as a parent directory fails for root too (tests run as root here).
  await writeFile(join(dir, 'plain-file'), 'not a directory')
  const before = await snapshot(dir)
  const files = [
    {path: join(dir, 'existing', 'one.toml'), content: 'after'},
    {path: join(dir, 'created', 'two.toml'), content: 'two'},
    {path: join(dir, 'plain-file', 'three.toml'), content: 'three'},
    {path: join(dir, 'existing', 'four.toml'), content: 'four'},
  ]
  await assert.rejects(writeFilesAtomic(files, {force: true}), (e: FlotillaError) =>
    e.code === 'E_WRITE' && e.message.includes(join(dir, 'plain-file')) && e.message.endsWith('nothing was written'))
  assert.deepEqual(await snapshot(dir), before)
  assert.deepEqual((await readdir(dir)).sort(), ['existing', 'plain-file'])
})

test('a directory in the place of a target is refused before anything is written', async (t) => {
  const dir = await tempDir(t)
  await mkdir(join(dir, 'fly.web.toml'))
  const files = [{path: join(dir, 'fly.api.toml'), content: 'api'}, {path: join(dir, 'fly.web.toml'), content: 'web'}]
  await assert.rejects(writeFilesAtomic(files, {force: true}), (e: FlotillaError) => e.code === 'E_WRITE' && e.message.includes('is a directory'))
  assert.deepEqual(await readdir(dir), ['fly.web.toml'])
})

test('without force, a target that appears while writing is not overwritten and the files placed before it are removed', async (t) => {
  const dir = await tempDir(t)
  // The same target twice: the first placement makes the second one find it taken.
  const files = [{path: join(dir, 'a'), content: '1'}, {path: join(dir, 'b'), content: '2'}, {path: join(dir, 'b'), content: '3'}]
  await assert.rejects(writeFilesAtomic(files), (e: FlotillaError) => e.code === 'E_EXISTS' && e.message.includes(join(dir, 'b')))
  assert.deepEqual(await readdir(dir), [])
})

test('paths below the current directory are named relative to it in errors', async (t) => {
  const dir = await tempDir(t)
  const cwd = process.cwd()
  process.chdir(dir)
  t.after(() => process.chdir(cwd))
  await mkdir('sub')
  await writeFile(join('sub', 'taken'), 'x')
  await assert.rejects(writeFilesAtomic([{path: join(dir, 'sub', 'taken'), content: 'y'}]),
    (e: FlotillaError) => e.message === `${join('sub', 'taken')} already exists; --force overwrites`)
})
