import {readdir} from 'node:fs/promises'
import {basename, dirname, isAbsolute, join, resolve} from 'node:path'
import {LocatedError} from '../../errors.js'
import {quoteArgv, quoteWord} from '../../config/index.js'
import {readText} from '../import-file.js'
import {PlanBuilder, type ImportedGroup, type ImportPlan, type RestartPolicy} from '../plan.js'
import {IniSyntaxError, parseIni, type IniSections, type IniValue} from './ini.js'
import {keyValuePairs, percentFormat, PythonTextError, shlexSplit} from './python-text.js'

// Sections that only configure supervisord itself or its control interface.
const CONTROL = /^(unix_http_server|inet_http_server|supervisorctl|rpcinterface:.*|ctlplugin:.*)$/
// Program keys flotilla and Fly replace wholesale: logging is Fly's (stdout/stderr are collected).
const LOG_KEY = /^(std(out|err)_(logfile(_maxbytes|_backups)?|capture_maxbytes|events_enabled|syslog)|redirect_stderr)$/
const HANDLED = new Set(['command', 'directory', 'environment', 'numprocs', 'numprocs_start', 'process_name', 'autostart',
  'autorestart', 'startretries', 'exitcodes', 'stopsignal', 'stopwaitsecs', 'user', 'priority'])
const SIGNALS: Record<string, string> = {1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 9: 'SIGKILL', 10: 'SIGUSR1', 12: 'SIGUSR2', 15: 'SIGTERM'}
const TRUE = new Set(['true', 'yes', 'on', '1'])
const FALSE = new Set(['false', 'no', 'off', '0'])

/**
 * supervisord.conf (with its `[include]`s) → groups, one per `[program:x]`, reading values the way
 * supervisord 4.2 does. `%(ENV_X)s` is NOT looked up on this machine: supervisord resolves it in
 * the container at start-up, so it becomes `${X}` in a `sh -c` command (X must be set on the
 * Machine), unless X is defined by an `environment=` of the file itself.
 */
export async function importSupervisord(file: string): Promise<ImportPlan> {
  const builder = new PlanBuilder('supervisord', file)
  const sections = await readWithIncludes(file, builder)
  const here = (v: IniValue): string => dirname(resolve(v.file))
  const get = (name: string, key: string): IniValue | undefined => sections.get(name)?.keys.get(key)
  const located = (v: {file: string; line: number}, key: string, message: string): LocatedError =>
    new LocatedError('E_SUPERVISORD_VALUE', `${key}: ${message}`, {file: v.file, line: v.line})

  // [supervisord] environment= applies to every program and is visible to them as ENV_X.
  const globalEnvValue = get('supervisord', 'environment')
  const globalEnv = new Deferred()
  if (globalEnvValue && globalEnvValue.value !== '') {
    try {
      Object.assign(globalEnv.known, pairs(globalEnv.expand(globalEnvValue.value, {here: here(globalEnvValue)})))
    } catch (error) {
      throw located(globalEnvValue, '[supervisord] environment', (error as Error).message)
    }
    builder.map('[supervisord] environment', '[env]', globalEnvValue)
    for (const x of globalEnv.used) builder.warn('W_ENV_AT_RUNTIME', `[supervisord] environment: %(ENV_${x})s is read when supervisord starts: set ${x} on the Machine (fly secrets set, or [env])`, globalEnvValue)
  }
  for (const key of ['directory', 'user', 'umask']) {
    const v = get('supervisord', key)
    if (v) builder.warn('W_SUPERVISORD_GLOBAL', `[supervisord] ${key}=${v.value} is supervisord's own setting and is not carried over`, v)
  }

  const grouped = new Map<string, string>()
  for (const [name, section] of sections) {
    if (!name.startsWith('group:')) continue
    const programs = (section.keys.get('programs')?.value ?? '').split(',').map((p) => p.trim()).filter(Boolean)
    for (const p of programs) {
      if (!sections.has(`program:${p}`)) throw new LocatedError('E_SUPERVISORD_GROUP', `[${name}] names unknown program ${p}`, section)
      grouped.set(p, name)
    }
    builder.map(`[${name}] programs=${programs.join(',')}`, `groups ${programs.join(', ')} (one process group each)`, section)
    if (section.keys.has('priority')) builder.warn('W_PRIORITY', `[${name}] priority is not carried over: Fly starts process groups independently`, section)
  }

  const ignoredLogKeys = new Set<string>()
  for (const [name, section] of sections) {
    if (name === 'supervisord' || name === 'include' || name.startsWith('group:')) continue
    if (CONTROL.test(name)) {
      builder.warn('W_NOT_CARRIED', `[${name}] configures supervisord's control interface; not carried over (flotilla ps/restart/logs and fly machines replace supervisorctl)`, section)
      continue
    }
    if (!name.startsWith('program:')) {
      builder.warn('W_NOT_CARRIED', `[${name}] is not carried over: ${name.startsWith('eventlistener:') ? 'event listeners react to supervisord events, which do not exist on Fly' : name.startsWith('fcgi-program:') ? 'FastCGI socket sharing has no Fly equivalent' : 'unknown section'}`, section)
      continue
    }
    const program = name.slice('program:'.length)
    const value = (key: string): IniValue | undefined => section.keys.get(key)
    const command = value('command')
    if (!command || command.value === '') throw new LocatedError('E_SUPERVISORD_COMMAND', `[${name}] has no command`, section)
    const origin = {file: section.file, line: section.line, name: program}
    const label = builder.label(origin)
    if (label === undefined) continue
    const numprocs = integer(value('numprocs'), 1)
    const numprocsStart = integer(value('numprocs_start'), 0)
    const env = new Deferred(globalEnv.known)
    const names = {program_name: program, group_name: grouped.get(program)?.slice('group:'.length) ?? program,
      process_num: numprocsStart, numprocs}
    const expand = (v: IniValue, key: string): string => {
      try {
        return env.expand(v.value, {...names, here: here(v)})
      } catch (error) {
        throw located(v, key, (error as Error).message)
      }
    }
    const envValue = value('environment')
    const programEnv: Record<string, string> = {}
    if (envValue) {
      try {
        Object.assign(programEnv, pairs(expand(envValue, 'environment')))
      } catch (error) {
        throw error instanceof LocatedError ? error : located(envValue, 'environment', (error as Error).message)
      }
      Object.assign(env.known, programEnv)
    }
    // A bare `%(ENV_X)s` word is split on whitespace by shlex, as sh splits an unquoted ${X}.
    for (const m of command.value.matchAll(/(?:^|\s)%\(ENV_(\w+)\)s(?=\s|$)/g)) env.split.add(m[1] as string)
    let argv: string[]
    try {
      argv = shlexSplit(expand(command, 'command'))
    } catch (error) {
      throw error instanceof LocatedError ? error : located(command, 'command', `cannot be split as supervisord does: ${(error as Error).message}${command.comment ? ` (supervisord cut the line at ${JSON.stringify(command.comment.trim())}: an inline comment starts at " ;" or " #", even inside quotes)` : ''}`)
    }
    if (argv.length === 0) throw located(command, 'command', 'is empty')
    const directory = value('directory') && expand(value('directory')!, 'directory')
    const group: ImportedGroup = {name: label, origin, command: ''}
    const literalEnv: Record<string, string> = {}
    const shellEnv: string[] = []
    // Global values only known in the container travel with each program, as programEnv does.
    const deferredGlobals = Object.entries(globalEnv.known).filter(([, v]) => globalEnv.has(v))
    for (const [k, v] of Object.entries({...Object.fromEntries(deferredGlobals), ...programEnv})) {
      if (env.has(v)) shellEnv.push(`${k}=${env.shellWord(v, true)}`)
      else literalEnv[k] = v
    }
    if (directory !== undefined || shellEnv.length > 0 || argv.some((a) => env.has(a))) {
      const words = argv.map((a) => env.shellWord(a))
      const script = `${directory === undefined ? '' : `cd ${env.shellWord(directory)} && `}exec ${shellEnv.length > 0 ? `env ${shellEnv.join(' ')} ` : ''}${words.join(' ')}`
      group.command = quoteArgv(['sh', '-c', script])
      if (directory !== undefined) builder.map(`[${name}] directory`, `cd ${env.shellWord(directory)} && … (sh -c)`, value('directory')!)
    } else {
      group.command = quoteArgv(argv)
    }
    for (const x of env.used) builder.warn('W_ENV_AT_RUNTIME', `[${name}] %(ENV_${x})s is read when the process starts, as supervisord does: set ${x} on the Machine (fly secrets set, or [env])`, command)
    if (Object.keys(literalEnv).length > 0) {
      group.env = literalEnv
      builder.map(`[${name}] environment`, `variables of group ${label}`, envValue!)
    }
    if (numprocs > 1) {
      group.count = numprocs
      builder.map(`[${name}] numprocs=${numprocs}`, `${numprocs} Machines of group ${label} (fly scale count)`, value('numprocs')!)
      if (/%\(process_num\)/.test(command.value)) builder.warn('W_PROCESS_NUM', `[${name}] command uses %(process_num): every Machine runs the first instance's command (process_num=${numprocsStart}); give Machines distinct settings through the environment instead`, command)
    }
    const autostart = value('autostart')
    if (autostart && !boolean(autostart)) {
      group.autostart = false
      builder.warn('W_AUTOSTART', `[${name}] autostart=false: the group is defined but should run no Machine (fly scale count ${label}=0; \`flotilla up\` does not start it with --to apps)`, autostart)
    }
    const restart = restartPolicy(value('autorestart'), value('startretries'), value('exitcodes'), builder, name)
    if (restart) {
      group.restart = restart
      builder.map(`[${name}] autorestart/startretries`, `[[restart]] policy=${restart.policy}${restart.retries === undefined ? '' : ` retries=${restart.retries}`} for ${label}`, value('autorestart') ?? value('startretries')!)
    }
    const stopsignal = value('stopsignal')
    if (stopsignal) {
      const signal = signalName(stopsignal.value)
      if (!signal) throw located(stopsignal, 'stopsignal', `unknown signal ${JSON.stringify(stopsignal.value)}`)
      group.killSignal = signal
      builder.map(`[${name}] stopsignal=${stopsignal.value}`, `kill_signal = "${signal}"`, stopsignal)
    }
    const stopwait = value('stopwaitsecs')
    if (stopwait) {
      group.killTimeout = integer(stopwait, 10)
      builder.map(`[${name}] stopwaitsecs=${stopwait.value}`, `kill_timeout = "${group.killTimeout}s"`, stopwait)
    }
    const user = value('user')
    if (user) builder.warn('W_USER', `[${name}] user=${user.value} is not carried over: the process runs as the image's user (switch users in the command, e.g. with gosu or su-exec)`, user)
    const priority = value('priority')
    if (priority) builder.warn('W_PRIORITY', `[${name}] priority=${priority.value} is not carried over: Fly starts process groups independently, in no order`, priority)
    const unhandled = [...section.keys.keys()].filter((k) => !HANDLED.has(k) && !LOG_KEY.test(k))
    if (unhandled.length > 0) builder.warn('W_NOT_CARRIED', `[${name}] not carried over: ${unhandled.join(', ')}`, section)
    for (const k of section.keys.keys()) if (LOG_KEY.test(k)) ignoredLogKeys.add(k)
    builder.add(group)
  }
  if (ignoredLogKeys.size > 0) builder.warn('W_LOGS', `log settings are not carried over (Fly collects every process's stdout and stderr): ${[...ignoredLogKeys].sort().join(', ')}`)
  if (builder.plan.groups.length === 0 && !builder.plan.diagnostics.some((d) => d.severity === 'error')) {
    builder.error('E_IMPORT_EMPTY', 'no [program:x] section to import', {file})
  }
  for (const [k, v] of Object.entries(globalEnv.known)) if (!globalEnv.has(v)) builder.plan.env[k] = v
  return builder.plan
}

/** Reads FILE and the files its `[include] files=` globs name (relative to FILE), as supervisord does. */
async function readWithIncludes(file: string, builder: PlanBuilder): Promise<IniSections> {
  const parse = (text: string, path: string, into?: IniSections): IniSections => {
    try {
      return parseIni(text, path, into)
    } catch (error) {
      if (error instanceof IniSyntaxError) throw new LocatedError('E_SUPERVISORD_SYNTAX', error.message, {file: error.file, line: error.line})
      throw error
    }
  }
  const sections = parse(await readText(file), file)
  const include = sections.get('include')?.keys.get('files')
  if (!include) return sections
  sections.delete('include')
  const base = dirname(resolve(file))
  const patterns = percentFormatSafe(include, base).split(/\s+/).filter(Boolean)
  for (const pattern of patterns) {
    if (isAbsolute(pattern)) {
      builder.warn('W_INCLUDE_IMAGE_PATH', `[include] ${pattern} is a path inside the image, not read; import those files separately or give a path relative to ${basename(file)}`, include)
      continue
    }
    const matches = await glob(join(base, pattern))
    if (matches.length === 0) builder.warn('W_INCLUDE_NO_MATCH', `[include] ${pattern} matches no file (supervisord only warns too)`, include)
    for (const match of matches) {
      if (resolve(match) === resolve(file)) throw new LocatedError('E_INCLUDE_CYCLE', `[include] ${pattern} includes ${basename(file)} itself`, include)
      let text: string
      try {
        text = await readText(match)
      } catch (error) {
        throw new LocatedError('E_INCLUDE_READ', `[include] cannot read ${match}: ${(error as Error).message}`, include, undefined, {cause: error})
      }
      parse(text, match, sections)
      const nested = sections.get('include')
      if (nested) {
        builder.warn('W_INCLUDE_NESTED', `${match}: an [include] inside an included file is ignored, as supervisord ignores it`, {file: match, line: nested.line})
        sections.delete('include')
      }
      builder.map(`[include] ${match}`, 'read', include)
    }
  }
  return sections
}

function percentFormatSafe(v: IniValue, here: string): string {
  try {
    return percentFormat(v.value, (name) => (name === 'here' ? here : undefined))
  } catch (error) {
    throw new LocatedError('E_SUPERVISORD_VALUE', `[include] files: ${(error as Error).message}`, {file: v.file, line: v.line})
  }
}

/** Python's glob for one pattern: `*`, `?`, `[…]` per path segment, hidden files only when asked, sorted. */
async function glob(pattern: string): Promise<string[]> {
  const segments = pattern.split('/')
  let paths = [segments[0] === '' ? '/' : segments[0] as string]
  for (const segment of segments.slice(1)) {
    if (segment === '') continue
    if (!/[*?[]/.test(segment)) {
      paths = paths.map((p) => join(p, segment))
      continue
    }
    const regex = new RegExp(`^${segment.replace(/[.+^${}()|\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.').replace(/\[!/g, '[^')}$`)
    const next: string[] = []
    for (const dir of paths) {
      const names = await readdir(dir).catch(() => [] as string[])
      for (const name of names) if (regex.test(name) && (!name.startsWith('.') || segment.startsWith('.'))) next.push(join(dir, name))
    }
    paths = next
  }
  const existing = await Promise.all(paths.map(async (p) => ((await readdir(dirname(p)).catch(() => [] as string[])).includes(basename(p)) ? p : undefined)))
  return existing.filter((p): p is string => p !== undefined).sort()
}

/**
 * Values of `%(ENV_X)s` that are only known in the container: expanded to a marker made of
 * supervisord's word characters (so `environment=` parsing keeps it whole), rendered later as
 * `${X}` for sh. Names defined by `environment=` are known and substituted directly.
 */
class Deferred {
  readonly used = new Set<string>()
  /** Variables whose value supervisord splits into words (unquoted, alone in a word). */
  readonly split = new Set<string>()
  private static readonly MARK = /FLOTILLAENV([A-Za-z_][A-Za-z0-9_]*)ENDENV/g
  constructor(readonly known: Record<string, string> = {}) {
    this.known = {...known}
  }

  expand(value: string, names: Record<string, string | number>): string {
    return percentFormat(value, (name) => {
      if (name in names) return names[name]
      if (name === 'host_node_name') return this.mark('HOSTNAME')
      if (!name.startsWith('ENV_')) return undefined
      const variable = name.slice(4)
      return Object.hasOwn(this.known, variable) ? this.known[variable] : this.mark(variable)
    })
  }

  has(text: string): boolean {
    return new RegExp(Deferred.MARK.source).test(text)
  }

  /** One sh word for `text`: literal parts quoted, values in double quotes unless supervisord split them. */
  shellWord(text: string, oneWord = false): string {
    const whole = new RegExp(`^${Deferred.MARK.source}$`).exec(text)
    if (whole) return this.split.has(whole[1] as string) && !oneWord ? `\${${whole[1]}}` : `"\${${whole[1]}}"`
    if (!this.has(text)) return quoteWord(text)
    return text.split(new RegExp(Deferred.MARK.source)).map((part, i) => (i % 2 === 1 ? `"\${${part}}"` : part === '' ? '' : quoteWord(part))).join('')
  }

  private mark(variable: string): string {
    this.used.add(variable)
    return `FLOTILLAENV${variable}ENDENV`
  }
}

function pairs(text: string): Record<string, string> {
  try {
    return keyValuePairs(text)
  } catch (error) {
    if (error instanceof PythonTextError) throw new PythonTextError(`${error.message} (quote values with spaces or , = @ $)`)
    throw error
  }
}

function integer(v: IniValue | undefined, fallback: number): number {
  if (!v) return fallback
  const n = Number(v.value)
  if (!Number.isInteger(n)) throw new LocatedError('E_SUPERVISORD_VALUE', `${JSON.stringify(v.value)} is not an integer`, v)
  return n
}

function boolean(v: IniValue): boolean {
  const s = v.value.toLowerCase()
  if (TRUE.has(s)) return true
  if (FALSE.has(s)) return false
  throw new LocatedError('E_SUPERVISORD_VALUE', `${JSON.stringify(v.value)} is not a boolean (true/false, yes/no, on/off, 1/0)`, v)
}

function restartPolicy(autorestart: IniValue | undefined, startretries: IniValue | undefined, exitcodes: IniValue | undefined,
  builder: PlanBuilder, section: string): RestartPolicy | undefined {
  if (!autorestart && !startretries) return undefined
  const mode = autorestart?.value.toLowerCase() ?? 'unexpected'
  const policy = mode === 'unexpected' ? 'on-failure' : autorestart && boolean(autorestart) ? 'always' : 'never'
  if (policy === 'on-failure' && exitcodes && exitcodes.value.replaceAll(' ', '') !== '0') {
    builder.warn('W_EXITCODES', `[${section}] exitcodes=${exitcodes.value}: Fly's on-failure restarts on every non-zero exit`, exitcodes)
  }
  return policy === 'never' ? {policy} : policy === 'on-failure' ? {policy, retries: integer(startretries, 3)} : {policy}
}

function signalName(value: string): string | undefined {
  const v = value.trim().toUpperCase()
  if (/^\d+$/.test(v)) return SIGNALS[v]
  const name = v.startsWith('SIG') ? v : `SIG${v}`
  return Object.values(SIGNALS).includes(name) ? name : undefined
}
