import {mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {ExitCode, FlotillaError} from '../errors.js'
import type {PlannedFile} from './types.js'

/** A planned file next to what is on disk now. */
export interface FileState extends PlannedFile {
  /** Absolute path. */
  absolute: string
  /** Current content; undefined when the file does not exist. */
  current: string | undefined
  status: 'create' | 'change' | 'same'
}

/** Reads what each planned file would replace. */
export async function compareWithDisk(files: PlannedFile[], outDir: string): Promise<FileState[]> {
  return Promise.all(files.map(async (file) => {
    const absolute = join(outDir, file.path)
    const current = await readFile(absolute, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined // written later, or refused by mkdir
      throw new FlotillaError('E_READ', `cannot read ${absolute}: ${error.message}`, ExitCode.input, {cause: error})
    })
    const status = current === undefined ? 'create' : current === file.content ? 'same' : 'change'
    return {...file, absolute, current, status}
  }))
}

/** A unified diff of every file that would change (new files diff against /dev/null). */
export async function unifiedDiff(states: FileState[], label: (state: FileState) => string): Promise<string> {
  const {createTwoFilesPatch} = await import('diff')
  return states
    .filter((state) => state.status !== 'same')
    .map((state) => {
      const name = label(state)
      return createTwoFilesPatch(state.current === undefined ? '/dev/null' : name, name, state.current ?? '', state.content, '', '', {context: 3})
        .replace(/^=+\n/, '')
    })
    .join('')
}

/**
 * Writes the changed files atomically as a set: every file goes to a temporary file in its own
 * directory first, and only when all of them are written are they renamed into place. Any
 * failure removes the temporary files (and a directory this call created), leaving disk as it was.
 * Files that differ from what is on disk need `force`.
 */
export async function writeFiles(states: FileState[], opts: {outDir: string; force: boolean; label: (state: FileState) => string}): Promise<void> {
  const conflicts = states.filter((state) => state.status === 'change')
  if (conflicts.length && !opts.force) {
    throw new FlotillaError('E_EXISTS', `${conflicts.map(opts.label).join(', ')} already exist${conflicts.length === 1 ? 's' : ''} with other content; pass --force to overwrite (--dry-run shows the diff)`)
  }
  const pending = states.filter((state) => state.status !== 'same')
  if (!pending.length) return
  const created = await mkdir(opts.outDir, {recursive: true}).catch((error: NodeJS.ErrnoException) => {
    throw new FlotillaError('E_WRITE', `cannot create the output directory ${opts.outDir}: ${error.message}`, ExitCode.input, {cause: error})
  })
  const temporary = pending.map((state) => join(dirname(state.absolute), `.${state.path}.${process.pid}.tmp`))
  try {
    await Promise.all(pending.map((state, i) => writeFile(temporary[i]!, state.content, {flag: 'wx'})))
    for (const [i, state] of pending.entries()) await rename(temporary[i]!, state.absolute)
  } catch (error) {
    await Promise.all(temporary.map((path) => rm(path, {force: true})))
    if (created) await rm(created, {recursive: true, force: true})
    const e = error as NodeJS.ErrnoException
    throw new FlotillaError('E_WRITE', `cannot write to ${opts.outDir}: ${e.message}; nothing was written`, ExitCode.input, {cause: error})
  }
}
