import {readFile} from 'node:fs/promises'
import {FlotillaError} from '../errors.js'
import type {ImportPlan} from './plan.js'
import {importProcfile} from './procfile-import.js'

/** Reads FILE and plans its import; the shell parser and supervisord's includes load lazily. */
export async function importFile(kind: ImportPlan['kind'], file: string): Promise<ImportPlan> {
  if (kind === 'supervisord') return (await import('./supervisord/import.js')).importSupervisord(file)
  const text = await readText(file)
  if (kind === 'procfile') return importProcfile(text, file)
  return (await import('./script-import.js')).importScript(text, file)
}

export async function readText(file: string): Promise<string> {
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(await readFile(file))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new FlotillaError(code ? 'E_READ' : 'E_ENCODING', code ? `cannot read ${file}: ${(error as Error).message}` : `${file} is not valid UTF-8`, undefined, {cause: error})
  }
}
