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
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (error) {
    throw new FlotillaError('E_READ', `cannot read ${file}: ${(error as Error).message}`, undefined, {cause: error})
  }
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(bytes).replace(/^\uFEFF/, '')
  } catch (error) {
    throw new FlotillaError('E_ENCODING', `${file} is not valid UTF-8`, undefined, {cause: error})
  }
}
