import {readFile} from 'node:fs/promises'
import {dirname, isAbsolute, join, relative, resolve, sep} from 'node:path'
import {configFilePath, loadFlyConfig, locateKeyPath, processGroups, type Diagnostic, type FlyConfig} from '../config/index.js'
import {ExitCode, FlotillaError, LocatedError} from '../errors.js'
import type {Workspace} from '../workspace/index.js'
import {planSplit} from './plan.js'
import {localTables, readPreviousWorkspace, recordedChoices} from './recorded.js'
import type {SplitReport} from './report.js'
import type {SplitOptions, SplitPlan} from './types.js'
import {compareWithDisk, unifiedDiff, writeFiles, type FileState} from './write.js'

/** What `flotilla split` was asked: the flags that shape the plan, plus where and how to write it. */
export interface SplitRequest extends Pick<SplitOptions, 'names' | 'public' | 'releaseIn' | 'allow'> {
  /** Path of the multi-group config (a directory means its fly.toml, as flyctl does). */
  config: string
  /** Output directory; default: the config's directory. */
  out?: string
  mode: 'write' | 'dry-run' | 'check'
  force?: boolean
  /** Base for relative paths and for the paths shown; default process.cwd(). */
  cwd?: string
}

export interface SplitOutcome {
  report: SplitReport
  plan: SplitPlan
  files: FileState[]
  /** The config path as shown to the user. */
  source: string
  /** Files on disk differ from the plan (what `--check` fails on). */
  drift: boolean
  /** The files (as shown) that are, or would be, created or changed. */
  changed: string[]
  /** Unified diff of the files that would change: in `dry-run`, and in `check` when drifting. */
  diff?: string
}

/** Reads the config, plans the split, and writes it, shows it or checks it against disk. */
export async function splitConfig(request: SplitRequest): Promise<SplitOutcome> {
  const cwd = request.cwd ?? process.cwd()
  const show = (path: string) => {
    const rel = relative(cwd, path)
    return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel
  }
  const configPath = await configFilePath(resolve(cwd, request.config))
  const source = show(configPath)
  const text = await readFile(configPath).catch((error: NodeJS.ErrnoException) => {
    const why = error.code === 'ENOENT' ? 'no such file (pass the multi-group fly.toml to split)' : error.message
    throw new FlotillaError('E_NO_CONFIG', `${configPath}: ${why}`, ExitCode.input, {cause: error})
  })
  const {config, diagnostics} = loadForSplit(text, source)

  const outDir = resolve(cwd, request.out ?? dirname(configPath))
  const posixRelative = (from: string, to: string) => relative(from, to).split(sep).join('/')
  const previous = await readPreviousWorkspace(join(outDir, 'flotilla.toml'))
  const sourceFromOut = posixRelative(outDir, configPath)
  const plan = withLine(text, () => planSplit(config, {
    file: source,
    source: sourceFromOut,
    relocate: posixRelative(outDir, dirname(configPath)),
    outDisplay: show(outDir).split(sep).join('/'),
    ...(request.names ? {names: request.names} : {}),
    ...(request.public === undefined ? {} : {public: request.public}),
    ...(request.releaseIn === undefined ? {} : {releaseIn: request.releaseIn}),
    ...(request.allow ? {allow: request.allow} : {}),
    existingLocal: localTables(previous),
    recorded: recordedChoices(previous, sourceFromOut, config, processGroups(config)),
  }))
  const files = (await compareWithDisk(plan.files, outDir)).map((state) => keepEditedWorkspace(state, previous, plan, sourceFromOut))
  const clobbered = files.find((state) => state.absolute === configPath)
  if (clobbered) {
    throw new FlotillaError('E_OUT_IS_SOURCE', `${source} would be overwritten by the split of its own group; write the split elsewhere with --out DIR`)
  }
  const label = (state: FileState) => show(state.absolute)
  const changed = files.filter((state) => state.status !== 'same').map(label)
  const report: SplitReport = {
    apps: plan.apps.map((app) => ({name: app.name, group: app.group, config: show(join(outDir, app.config)), public: app.public})),
    files: files.map(label),
    warnings: [
      ...diagnostics.map((d) => ({code: d.code, message: d.message, ...(d.keyPath === undefined ? {} : {path: d.keyPath})})),
      ...plan.warnings,
    ],
    steps: plan.steps,
  }
  const outcome: SplitOutcome = {report, plan, files, source, drift: changed.length > 0, changed}
  if (request.mode === 'write') await writeFiles(files, {outDir, force: request.force ?? false, label})
  else if (request.mode === 'dry-run' || outcome.drift) outcome.diff = await unifiedDiff(files, label)
  return outcome
}

/** The config to split: validation errors stop here (the first one, located), warnings carry on. */
function loadForSplit(text: Uint8Array, source: string): {config: FlyConfig; diagnostics: Diagnostic[]} {
  const loaded = loadFlyConfig(text, source)
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error')
  if (errors.length) {
    const {code, message, file, line, column, keyPath} = errors[0]!
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''}: run flotilla validate ${source})` : ''
    const location = {file, ...(line === undefined ? {} : {line}), ...(column === undefined ? {} : {column}), ...(keyPath === undefined ? {} : {keyPath})}
    throw new LocatedError(code, `${message}${more}`, location)
  }
  return withoutLegacyKeys(loaded.config, loaded.diagnostics)
}

/**
 * Nomad-era keys (`restart_limit`, `script_checks`…) are ignored by flyctl; the split files leave
 * them out rather than carry dead settings into new apps, and the warning says so.
 */
function withoutLegacyKeys(config: FlyConfig, diagnostics: Diagnostic[]): {config: FlyConfig; diagnostics: Diagnostic[]} {
  const cleaned = structuredClone(config)
  const notes = diagnostics.map((d) => {
    // The path in the normalised config: `[compute] private_network` sits at vm[0].private_network.
    const path = d.configPath ?? d.keyPath
    if (d.code !== 'W_LEGACY_KEY' || !path) return d
    const segments = path.split(/\.|(?=\[)/).map((s) => (/^\[\d+\]$/.test(s) ? Number(s.slice(1, -1)) : s))
    const parent = segments.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], cleaned)
    if (typeof parent !== 'object' || parent === null) return d
    delete (parent as Record<string | number, unknown>)[segments.at(-1)!]
    return {...d, message: `${d.message} (left out of the split files)`}
  })
  return {config: cleaned, diagnostics: notes}
}

/** The planner knows key paths only; point its errors at the line as well when the text has it. */
function withLine<T>(text: Uint8Array, run: () => T): T {
  try {
    return run()
  } catch (error) {
    if (!(error instanceof LocatedError) || error.location.line !== undefined || !error.location.keyPath) throw error
    const position = locateKeyPath(new TextDecoder().decode(text), error.location.keyPath)
    if (!position) throw error
    throw new LocatedError(error.code, error.detail, {...error.location, ...position}, error.exitCode, {cause: error})
  }
}

/**
 * flotilla.toml is the user's to edit (comments, [app.local], layout): when it already lists the
 * same apps from the same source, it is left alone rather than reported as drift or overwritten.
 * `previous` is that file as already parsed; unreadable, it differs, and --force replaces it.
 */
function keepEditedWorkspace(state: FileState, previous: Workspace | undefined, plan: SplitPlan, source: string): FileState {
  if (state.path !== 'flotilla.toml' || state.status !== 'change' || !previous) return state
  const listed = JSON.stringify([previous.source, previous.apps.map((app) => [app.name, app.config, app.group, app.release ?? false])])
  const planned = JSON.stringify([source, plan.apps.map((app) => [app.name, app.config, app.group, app.release])])
  return listed === planned ? {...state, status: 'same'} : state
}
