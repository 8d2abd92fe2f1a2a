import assert from 'node:assert/strict'
import {test} from 'node:test'
import {loadFlyConfig} from '../../src/config/index.js'
import {planSplit, renderSplitReport} from '../../src/split/index.js'

const report = (source: string): string => {
  const {config} = loadFlyConfig('app = "shop"\n[processes]\nweb = "bin/web"\nworker = "bin/worker"\n', source)
  const plan = planSplit(config, {file: source, source})
  const apps = plan.apps.map((a) => ({name: a.name, group: a.group, config: a.config, public: a.public}))
  return renderSplitReport(plan, {apps, files: [], warnings: [], steps: []}, {source, mode: 'write', changed: []})
}

test('split report: the source stays (split --check in CI reads it) but is never deployed', () => {
  const text = report('fly.toml')
  assert.doesNotMatch(text, /out of CI|delete it once|rename it to/)
  assert.match(text, /Keep fly\.toml as the source of the split \(`flotilla split --check`, which the generated CI runs, checks the new files against it\): do not delete or rename it\./)
  assert.match(text, /Never deploy it: it still describes app shop with every group, and deploying it would put the moved groups back into shop; a bare `fly deploy` reads fly\.toml, so always pass -c\.$/)
  // `fly deploy` only reads a file named fly.toml by itself
  assert.match(report('fly.production.toml'), /back into shop\.$/)
})
