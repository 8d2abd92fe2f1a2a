// `flotilla split --dry-run` on the largest real fixture that splits, as a ratio to `node -e 0`.
import {spawnSync} from 'node:child_process'
import {readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {compareToNode, flotilla, repoRoot} from './startup.mjs'

const fixtures = join(repoRoot, '..', 'shared', 'fixtures', 'real', 'fly')
const bySize = readdirSync(fixtures).map((name) => join(fixtures, name)).sort((a, b) => statSync(b).size - statSync(a).size)
// Some large fixtures are deliberately invalid (flyctl's full-reference.toml); take the largest that splits.
const splitArgs = (file) => [...flotilla, 'split', file, '--dry-run', '--allow', 'shared-volume']
const largest = bySize.find((file) => spawnSync(splitArgs(file)[0], splitArgs(file).slice(1), {stdio: 'ignore'}).status === 0)
if (!largest) throw new Error(`no fixture in ${fixtures} splits`)
compareToNode(`split --dry-run (${statSync(largest).size} B)`, splitArgs(largest))
