import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/**
 * flotilla's own install directory (where package.json and templates/ are), found by walking up
 * from this module: it is src/ci/ in a checkout and dist/src/ci/ in a build.
 */
export function packageRoot(): {dir: string; version: string} {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const pjson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {name?: string; version?: string}
      if (pjson.name === 'flotilla') return {dir, version: pjson.version ?? '0.0.0'}
    } catch {} // no package.json here: keep walking up
    const parent = dirname(dir)
    if (parent === dir) throw new Error('flotilla package.json not found above src/ci')
    dir = parent
  }
}
