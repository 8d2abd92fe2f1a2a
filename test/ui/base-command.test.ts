import assert from 'node:assert/strict'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {runCli, tempDir} from '../helpers/repo.js'

// Warnings from any command share one plain form on stderr (BaseCommand.warn).
test('up on a Procfile with release: warns as `warning: …` on stderr', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'Procfile'), 'release: true\n')
  const result = await runCli(['up', '--network', 'loopback'], {cwd: dir, timeoutMs: 20_000})
  assert.match(result.stderr, /^warning: Procfile/m)
  assert.doesNotMatch(result.stderr, /›\s+Warning/)
})
