import {readFile, stat} from 'node:fs/promises'
import {dirname, join, relative, resolve, sep} from 'node:path'
import {parseToml} from '../config/index.js'
import {FlotillaError} from '../errors.js'
import {quoteWord} from '../config/index.js'
import {findWorkspace, parseWorkspace} from '../workspace/index.js'
import {dockerfileSources} from './dockerfile.js'

/** flyctl release the generated workflows install unless --flyctl-version says otherwise. */
export const FLYCTL_VERSION = '0.4.87'

export interface CiOptions {
  provider: 'github' | 'gitlab'
  /** Directory holding flotilla.toml. */
  dir: string
  out?: string
  test?: string
  branch: string
  flyctlVersion: string
  /** One app-scoped deploy token per app (FLY_API_TOKEN_<APP>) instead of one FLY_API_TOKEN. */
  tokenPerApp?: boolean
}

export interface CiApp {
  name: string
  /** Config path as `flyctl deploy -c` takes it: relative to the workspace directory. */
  config: string
  /** Path filters (repository-relative globs) whose changes redeploy this app. */
  paths: string[]
  /** The CI secret holding its Fly token. */
  token: string
}

export interface CiPlan {
  provider: CiOptions['provider']
  /** Repository root: where the workflow runs and path filters are rooted. */
  root: string
  /** The workflow file to write (absolute). */
  out: string
  /** Workspace directory relative to the root ('' = the root). */
  workdir: string
  /** The workspace came from `flotilla split`: the arguments that check it is up to date. */
  splitCheck?: string
  test: string
  /**
   * Installs the project's dependencies (flotilla among them) in `dir` (repository-relative, ''
   * = the root): CI runs the flotilla the project pins, never one fetched from the registry.
   */
  install: {command: 'npm ci' | 'npm install'; dir: string}
  flotilla: string
  /** The project's package.json lists flotilla; if not, CI has no flotilla to run until it does. */
  listsFlotilla: boolean
  release?: CiApp
  /** Every app deploys the same image: built once with this app's config, then `--image`. */
  buildOnce?: {app: string; config: string; token: string}
  apps: CiApp[]
  /** Changes here redeploy every app. */
  shared: string[]
  flyctlVersion: string
  branch: string
  tokenPerApp: boolean
  regenerate: string
  warnings: string[]
}

/** Reads flotilla.toml, each app's config and Dockerfile, and plans the workflow. */
export async function planCi(options: CiOptions, invocation: string): Promise<CiPlan> {
  const found = await findWorkspace(options.dir)
  if (found?.kind !== 'workspace') {
    throw new FlotillaError('E_NO_WORKSPACE', `no flotilla.toml in ${options.dir}: run \`flotilla split\` or \`flotilla import … --to apps\` first`)
  }
  const workspace = parseWorkspace(await readFile(found.path), found.path)
  const root = await repositoryRoot(workspace.dir)
  const rel = (path: string): string => relative(root, path).split(sep).join('/')
  const out = resolve(options.out ?? join(root, options.provider === 'github' ? '.github/workflows/fly-deploy.yml' : '.gitlab-ci.yml'))
  const warnings: string[] = []
  const apps: (CiApp & {releaseCommand: boolean})[] = []
  const builds = new Set<string>()
  for (const app of workspace.apps) {
    const configPath = resolve(workspace.dir, app.config)
    const config = parseToml(await readFile(configPath).catch((error: Error) => {
      throw new FlotillaError('E_READ', `cannot read ${app.config} (app ${app.name}): ${error.message}`)
    }), configPath) as {build?: {image?: string; dockerfile?: string; ignorefile?: string; builder?: string}; deploy?: {release_command?: string}}
    const paths = [rel(configPath), ...(await buildInputs(config.build ?? {}, dirname(configPath), workspace.dir, rel, warnings, app.name))]
    builds.add(buildIdentity(config.build ?? {}, dirname(configPath), workspace.dir))
    const token = options.tokenPerApp ? `FLY_API_TOKEN_${app.name.toUpperCase().replaceAll('-', '_')}` : 'FLY_API_TOKEN'
    apps.push({name: app.name, config: app.config, paths: [...new Set(paths)], token, releaseCommand: Boolean(config.deploy?.release_command)})
  }
  // flotilla.toml names the app that runs release_command (`release = true`, written by split and
  // import); a workspace without it (older, or written by hand): the configs that have one.
  const marked = workspace.apps.some((a) => a.release)
  const owners = marked ? apps.filter((_, i) => workspace.apps[i]!.release) : apps.filter((a) => a.releaseCommand)
  if (owners.length > 1) {
    warnings.push(`${owners.map((a) => a.name).join(', ')} all ${marked ? 'have release = true' : 'have a release_command'}: ${owners[0]?.name} deploys first, the others with the rest`)
  }
  const unmarked = marked ? apps.filter((a) => a.releaseCommand && !owners.includes(a)) : []
  if (unmarked.length > 0) {
    warnings.push(`${unmarked.map((a) => a.name).join(', ')}: [deploy] release_command without release = true in flotilla.toml, so it runs while the other apps deploy, not before them`)
  }
  const release = owners[0]
  // Every app builds the same image (the usual result of a split): build it once and deploy it to
  // each (hover's workflow does this by hand). Not with per-app tokens: one app's deploy token
  // is not known to reach another app's registry repository.
  const first = release ?? apps[0]
  const buildOnce = apps.length > 1 && builds.size === 1 && !builds.has('image') && !options.tokenPerApp && first
    ? {app: first.name, config: first.config, token: first.token} : undefined
  const packages = await projectPackages(workspace.dir, root)
  if (options.test === undefined && !packages.some((p) => p.testScript)) {
    throw new FlotillaError('E_NO_TEST', 'no test command found (no "test" script in package.json): pass --test CMD')
  }
  const test = options.test ?? 'npm test'
  const project: Partial<ProjectPackage> = packages[0] ?? {}
  if (!project.listsFlotilla) warnings.push(`${project.dir === undefined ? 'no package.json' : `${rel(join(project.dir, 'package.json'))} does not list flotilla`}: ${ADD_FLOTILLA}`)
  return {
    provider: options.provider, root, out, workdir: rel(workspace.dir), ...(workspace.source === undefined ? {} : {splitCheck: splitArguments(workspace.source)}), test,
    install: {command: project.lockfile ? 'npm ci' : 'npm install', dir: rel(project.dir ?? root)},
    flotilla: 'npx --no-install flotilla', listsFlotilla: project.listsFlotilla ?? false,
    ...(release ? {release: strip(release)} : {}),
    ...(buildOnce ? {buildOnce} : {}),
    apps: apps.filter((a) => a !== release).map(strip),
    shared: [rel(found.path), rel(out)],
    flyctlVersion: options.flyctlVersion, branch: options.branch, tokenPerApp: options.tokenPerApp ?? false, regenerate: invocation, warnings,
  }
}

/** `split SOURCE --check`, from the workspace directory; `--out .` when SOURCE lives elsewhere. */
function splitArguments(source: string): string {
  const posixSource = source.split(sep).join('/')
  return `split ${quoteWord(posixSource)}${posixSource.includes('/') ? ' --out .' : ''} --check`
}

function strip(app: CiApp & {releaseCommand: boolean}): CiApp {
  return {name: app.name, config: app.config, paths: app.paths, token: app.token}
}

/** What decides an app's image: the same for two apps means one build serves both. */
function buildIdentity(build: {image?: string; dockerfile?: string; [key: string]: unknown}, configDir: string, context: string): string {
  if (build.image) return 'image'
  const {dockerfile, ignorefile, ...rest} = build
  const sorted = Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)))
  return JSON.stringify([dockerfile ? resolve(configDir, dockerfile) : join(context, 'Dockerfile'), ignorefile ? resolve(configDir, ignorefile as string) : '', sorted])
}

/**
 * What an app's image is built from. `flyctl deploy -c` from the workspace directory builds with
 * that directory as context (fly-platform.md 3.1); the Dockerfile's COPY/ADD sources narrow it.
 */
async function buildInputs(build: {image?: string; dockerfile?: string; ignorefile?: string; builder?: string}, configDir: string,
  context: string, rel: (p: string) => string, warnings: string[], app: string): Promise<string[]> {
  if (build.image) return []
  const whole = [`${rel(context) === '' ? '' : `${rel(context)}/`}**`]
  if (build.builder) return whole
  const dockerfile = build.dockerfile ? resolve(configDir, build.dockerfile) : join(context, 'Dockerfile')
  const ignorefile = build.ignorefile ? resolve(configDir, build.ignorefile) : join(context, '.dockerignore')
  const text = await readFile(dockerfile, 'utf8').catch(() => undefined)
  if (text === undefined) {
    warnings.push(`${app}: ${rel(dockerfile)} not found; any change in ${rel(context) || 'the repository'} redeploys it`)
    return whole
  }
  const sources = dockerfileSources(text)
  if (!sources) return whole
  const inContext = (p: string): string => rel(join(context, p))
  // A directory's files change, not the directory: match what is below it.
  const patterns = await Promise.all(sources.map(async (s) => {
    if (/[*?[]/.test(s)) return [inContext(s)]
    const info = await stat(join(context, s)).catch(() => undefined)
    return info?.isFile() ? [inContext(s)] : info?.isDirectory() ? [`${inContext(s)}/**`] : [inContext(s), `${inContext(s)}/**`]
  }))
  return [rel(dockerfile), rel(ignorefile), ...patterns.flat()]
}

const ADD_FLOTILLA = 'add flotilla as a devDependency (npm install -D flotilla) so CI runs the version you tested with'

interface ProjectPackage {
  dir: string
  lockfile: boolean
  listsFlotilla: boolean
  testScript: boolean
}

/** The project's package.json files, nearest first: the workspace directory's, then the repository root's. Each is read once. */
async function projectPackages(dir: string, root: string): Promise<ProjectPackage[]> {
  const found: ProjectPackage[] = []
  for (const candidate of new Set([dir, root])) {
    const text = await readFile(join(candidate, 'package.json'), 'utf8').catch(() => undefined)
    if (text === undefined) continue
    let pjson: {dependencies?: Record<string, string>; devDependencies?: Record<string, string>; scripts?: {test?: string}}
    try {
      pjson = JSON.parse(text) as typeof pjson
    } catch (error) {
      throw new FlotillaError('E_JSON_SYNTAX', `${join(candidate, 'package.json')}: ${(error as Error).message}`)
    }
    found.push({
      dir: candidate,
      lockfile: await exists(join(candidate, 'package-lock.json')),
      listsFlotilla: Boolean(pjson.devDependencies?.flotilla ?? pjson.dependencies?.flotilla),
      testScript: Boolean(pjson.scripts?.test),
    })
  }
  return found
}

async function repositoryRoot(dir: string): Promise<string> {
  for (let current = dir; ; current = dirname(current)) {
    if (await exists(join(current, '.git'))) return current
    if (dirname(current) === current) return dir
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false)
}
