import {randomBytes} from 'node:crypto'
import {link, lstat, mkdir, rename, rm, unlink, writeFile} from 'node:fs/promises'
import {basename, dirname, isAbsolute, join, relative} from 'node:path'
import {FlotillaError} from '../errors.js'

export interface FileContent {
  /** Absolute, or relative to the current directory. */
  path: string
  content: string
}

/**
 * Writes a set of files all or nothing. Missing directories are created; every content goes to a
 * temporary file beside its target (`wx`: never someone else's file), and only when all of them
 * are written are they moved into place. Any failure before that removes the temporary files and
 * the directories this call created, and the targets are as they were.
 *
 * Without `force` an existing target is refused (E_EXISTS) and the files are hard-linked into
 * place, so one that appears meanwhile is not overwritten either: the files already placed are
 * removed again. With `force` targets are renamed over (atomic per file); a directory in the way
 * is refused up front, so only the unlikely (a disk pulled out) fails a rename half-way, and the
 * error then names the files already replaced.
 */
export async function writeFilesAtomic(files: readonly FileContent[], options: {force?: boolean} = {}): Promise<void> {
  const force = options.force ?? false
  await refuseTargets(files, force)
  const created: string[] = []
  const staged: {temp: string; path: string}[] = []
  const placed: string[] = []
  try {
    for (const {path, content} of files) {
      const made = await mkdir(dirname(path), {recursive: true}).catch(failure(dirname(path), 'cannot create the output directory'))
      if (made) created.push(made)
      const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
      staged.push({temp, path})
      await writeFile(temp, content, {flag: 'wx'}).catch(failure(path, 'cannot write'))
    }
    for (const {temp, path} of staged) {
      // Only a forced rename cannot be taken back; say which files it already replaced.
      const done = force && placed.length > 0 ? `${placed.map(shown).join(', ')} already replaced` : undefined
      await (force ? rename(temp, path) : placeNew(temp, path)).catch(failure(path, 'cannot write', done))
      placed.push(path)
    }
  } catch (error) {
    await Promise.all(staged.map(({temp}) => rm(temp, {force: true})))
    if (!force) await Promise.all(placed.map((path) => rm(path, {force: true}))) // each was new
    for (const dir of created.reverse()) await rm(dir, {recursive: true, force: true})
    throw error
  }
}

/** Existing targets without `force`, and directories in any case, stop the write before it starts. */
async function refuseTargets(files: readonly FileContent[], force: boolean): Promise<void> {
  const found = await Promise.all(files.map(async ({path}) => ({path, info: await lstat(path).catch(() => undefined)})))
  const directory = found.find(({info}) => info?.isDirectory())
  if (directory) throw new FlotillaError('E_WRITE', `cannot write ${shown(directory.path)}: it is a directory; nothing was written`)
  const taken = found.filter(({info}) => info).map(({path}) => path)
  if (taken.length > 0 && !force) {
    throw new FlotillaError('E_EXISTS', `${taken.map(shown).join(', ')} already exist${taken.length === 1 ? 's' : ''}; --force overwrites`)
  }
}

/** Moves `temp` to `path` only if `path` does not exist (a rename would replace it). */
async function placeNew(temp: string, path: string): Promise<void> {
  try {
    await link(temp, path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw new FlotillaError('E_EXISTS', `${shown(path)} appeared while writing; --force overwrites`, undefined, {cause: error})
    // A file system without hard links (FAT, some network mounts): the check before has to do.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') return rename(temp, path)
    throw error
  }
  await unlink(temp)
}

/** Turns a file system error into E_WRITE naming the path; FlotillaErrors pass through. */
function failure(path: string, what: string, done = 'nothing was written'): (error: unknown) => never {
  return (error) => {
    if (error instanceof FlotillaError) throw error
    throw new FlotillaError('E_WRITE', `${what} ${shown(path)}: ${(error as Error).message}; ${done}`, undefined, {cause: error})
  }
}

/** A path the way the user most likely refers to it: relative to the current directory when below it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : rel
}
