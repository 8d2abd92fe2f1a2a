import {randomBytes} from 'node:crypto'
import {rename, rm, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

/**
 * Writes every file or none: all contents go to temp files beside their targets first, then each
 * is renamed over its target (a rename is atomic within a directory). A failure before the
 * renames leaves the targets untouched and removes the temp files.
 */
export async function writeFilesAtomic(files: ReadonlyArray<{path: string; content: string}>): Promise<void> {
  const staged: {temp: string; path: string}[] = []
  try {
    for (const {path, content} of files) {
      const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
      staged.push({temp, path})
      await writeFile(temp, content, {flag: 'wx'})
    }
  } catch (error) {
    await Promise.all(staged.map(({temp}) => rm(temp, {force: true})))
    throw error
  }
  for (const {temp, path} of staged) await rename(temp, path)
}
