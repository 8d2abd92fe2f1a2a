import {Flags} from '@oclif/core'
import {BaseCommand} from '../../src/ui/base-command.js'
import type {CiReport} from '../../src/ci/index.js'

export default class CiGenerate extends BaseCommand {
  static override summary = 'Write the CI workflow that checks, tests and deploys every app of flotilla.toml.'
  static override description = 'Tests the set of apps together (flotilla exec), then deploys each app whose files changed with flyctl deploy -c, the app owning release_command first, only on the default branch.'
  static override examples = [
    '<%= config.bin %> <%= command.id %> --provider github',
    '<%= config.bin %> <%= command.id %> --provider gitlab --test "npm run test:e2e" --force',
  ]
  static override flags = {
    provider: Flags.option({options: ['github', 'gitlab'] as const, required: true, description: 'CI system'})(),
    out: Flags.string({description: 'workflow file (default: .github/workflows/fly-deploy.yml or .gitlab-ci.yml at the repository root)'}),
    test: Flags.string({description: 'test command run with the apps up (default: npm test when package.json has one)'}),
    branch: Flags.string({default: 'main', description: 'default branch: pushes to it deploy'}),
    'flyctl-version': Flags.string({description: 'flyctl release CI installs (pinned)'}),
    'token-per-app': Flags.boolean({default: false, description: 'one app-scoped deploy token per app (FLY_API_TOKEN_<APP>) instead of one FLY_API_TOKEN'}),
    force: Flags.boolean({default: false, description: 'replace an existing, different workflow file'}),
  }

  async run(): Promise<CiReport> {
    const {flags} = await this.parse(CiGenerate)
    const {writeCi, FLYCTL_VERSION, regenerateCommand, renderCiReport} = await import('../../src/ci/index.js')
    const report = await writeCi({provider: flags.provider, dir: process.cwd(), branch: flags.branch, force: flags.force,
      flyctlVersion: flags['flyctl-version'] ?? FLYCTL_VERSION, tokenPerApp: flags['token-per-app'], ...(flags.out ? {out: flags.out} : {}), ...(flags.test ? {test: flags.test} : {})},
    regenerateCommand({...flags, flyctlVersion: flags['flyctl-version'], tokenPerApp: flags['token-per-app']}))
    for (const warning of report.warnings) this.warn(warning)
    this.log(renderCiReport(report))
    return report
  }
}
