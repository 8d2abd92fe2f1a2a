import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {ExitCode, FlotillaError} from '../errors.js'
import {writeFilesAtomic} from '../files/index.js'
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
 * Writes the changed files as one set (src/files: all or nothing, creating the output directory
 * when missing, so `outDir` is no longer read). Files that differ from what is on disk need `force`.
 */
export async function writeFiles(states: FileState[], opts: {outDir: string; force: boolean; label: (state: FileState) => string}): Promise<void> {
  const conflicts = states.filter((state) => state.status === 'change')
  if (conflicts.length && !opts.force) {
    throw new FlotillaError('E_EXISTS', `${conflicts.map(opts.label).join(', ')} already exist${conflicts.length === 1 ? 's' : ''} with other content; pass --force to overwrite (--dry-run shows the diff)`)
  }
  const pending = states.filter((state) => state.status !== 'same')
  await writeFilesAtomic(pending.map((state) => ({path: state.absolute, content: state.content})), {force: opts.force})
}
