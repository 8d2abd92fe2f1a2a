import assert from 'node:assert/strict'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {splitConfig} from '../../src/split/index.js'
import {tempDir} from '../helpers/repo.js'

test('legacy keys written under aliases ([compute], singular [services]) are left out too', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'fly.toml'), `app = "shop"
[processes]
  web = "serve"
  worker = "work"
[compute]
  size = "shared-cpu-1x"
  private_network = true
[services]
  internal_port = 8080
  processes = ["web"]
  [[services.tcp_checks]]
    interval = "15s"
    restart_limit = 6
`)
  const outcome = await splitConfig({config: dir, mode: 'dry-run', cwd: dir})
  for (const file of outcome.plan.files) assert.doesNotMatch(file.content, /private_network|restart_limit/, file.path)
  const legacy = outcome.report.warnings.filter((w) => w.code === 'W_LEGACY_KEY')
  assert.deepEqual(legacy.map((w) => w.path), ['compute.private_network', 'services.tcp_checks[0].restart_limit'], 'paths as written in the file')
  for (const w of legacy) assert.match(w.message, /left out of the split files/)
  assert.match(outcome.plan.files.find((f) => f.path === 'fly.web.toml')!.content, /size = 'shared-cpu-1x'/)
})
