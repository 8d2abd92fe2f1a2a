// Public surface of src/ci (docs/internal-apis.md).
import {readFile} from 'node:fs/promises'
import {join, relative} from 'node:path'
import {FlotillaError} from '../errors.js'
import {writeFilesAtomic} from '../files/index.js'
import {renderGithub} from './github.js'
import {renderGitlab} from './gitlab.js'
import {packageRoot} from './package-root.js'
import {type CiOptions, type CiPlan, FLYCTL_VERSION, planCi} from './plan.js'

export {FLYCTL_VERSION}
export type {CiApp, CiOptions, CiPlan} from './plan.js'

export interface CiReport {
  provider: CiOptions['provider']
  file: string
  /** false when the file already held exactly these bytes. */
  written: boolean
  release?: string
  /** The app whose config builds the one image every app deploys. */
  buildOnce?: string
  apps: {name: string; config: string; paths: string[]; token: string}[]
  shared: string[]
  warnings: string[]
  steps: string[]
}

/** Plans and renders the workflow for the workspace in `options.dir`, without writing it. */
export async function generateCi(options: CiOptions, invocation: string): Promise<{plan: CiPlan; content: string}> {
  const root = packageRoot()
  const plan = await planCi(options, invocation)
  const templates = join(root.dir, 'templates')
  const content = options.provider === 'github' ? await renderGithub(plan, templates) : await renderGitlab(plan, templates)
  return {plan, content}
}

/** Writes the workflow; an existing different file is only replaced with `force`. */
export async function writeCi(options: CiOptions & {force: boolean}, invocation: string): Promise<CiReport> {
  const {plan, content} = await generateCi(options, invocation)
  const existing = await readFile(plan.out, 'utf8').catch(() => undefined)
  if (existing !== undefined && existing !== content && !options.force) {
    throw new FlotillaError('E_EXISTS', `${relative(process.cwd(), plan.out) || plan.out} already exists and differs; --force replaces it`)
  }
  if (existing !== content) await writeFilesAtomic([{path: plan.out, content}], {force: options.force})
  const all = [...(plan.release ? [plan.release] : []), ...plan.apps]
  return {
    provider: plan.provider, file: plan.out, written: existing !== content,
    ...(plan.release ? {release: plan.release.name} : {}),
    ...(plan.buildOnce ? {buildOnce: plan.buildOnce.app} : {}),
    apps: all, shared: plan.shared, warnings: plan.warnings,
    steps: [
      ...(plan.listsFlotilla ? [] : ['npm install -D flotilla   # then commit package.json and its lockfile: CI runs the flotilla you tested with']),
      ...all.map((a) => `fly apps create ${a.name}   # once, if it does not exist yet`),
      ...(plan.tokenPerApp
        ? all.map((a) => plan.provider === 'github'
          ? `gh secret set ${a.token} --body "$(fly tokens create deploy -a ${a.name})"`
          : `fly tokens create deploy -a ${a.name}   # into the masked, protected CI/CD variable ${a.token}`)
        : sharedTokenSteps(plan, all.map((a) => a.name))),
    ],
  }
}

/**
 * One FLY_API_TOKEN: a deploy token (`fly tokens create deploy`) reaches one app, so for several
 * apps it has to be an org token, which can deploy and delete every app of the organisation.
 */
function sharedTokenSteps(plan: CiPlan, apps: string[]): string[] {
  const set = (create: string, note: string): string => plan.provider === 'github'
    ? `gh secret set FLY_API_TOKEN --body "$(${create})"   # ${note}`
    : `${create}   # into the masked, protected CI/CD variable FLY_API_TOKEN; ${note}`
  if (apps.length === 1) return [set(`fly tokens create deploy -a ${apps[0]}`, 'a deploy token: it reaches this app only')]
  return [
    `${plan.regenerate.replace(/ --force$/, '')} --token-per-app --force   # safer: one deploy token per app (fly tokens create deploy -a APP), a leak reaches one app`,
    set('fly tokens create org', `or keep one token for the ${apps.length} apps: it must be org-wide (a deploy token reaches one app), and can deploy and delete every app of the org`),
  ]
}
export {renderCiReport} from './report.js'
export {regenerateCommand} from './regenerate.js'
