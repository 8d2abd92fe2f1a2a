/**
 * The environment a Machine sees (fly-platform.md 2.7 and 5.3 item 21), rebuilt for a local
 * instance, plus the local secrets file (`[app.local] env_file`, dotenv syntax). Secret values
 * never appear in errors or warnings: only names and line numbers do.
 */
import {randomBytes} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import {ExitCode, FlotillaError, LocatedError} from '../errors.js'

/** A Machine ID as Fly prints them: 14 lowercase hex digits. */
export function machineId(): string {
  return randomBytes(7).toString('hex')
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** A ULID (time-ordered, 26 Crockford base-32 characters), the form of FLY_MACHINE_VERSION. */
export function ulid(now = Date.now()): string {
  let time = ''
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time
  let random = ''
  for (const byte of randomBytes(16)) random += CROCKFORD[byte % 32]
  return time + random
}

/**
 * Parses a dotenv file with the compose-spec rules (the one grammar process-managers.md §6.9
 * recommends): `export` allowed, `#` comments (inline only after whitespace), `'…'` literal,
 * `"…"` with escapes and `${VAR}` interpolation, quoted values may span lines, `KEY=` is empty.
 */
export function parseDotenv(text: string, file: string): Record<string, string> {
  const env: Record<string, string> = {}
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1
    const line = lines[i]!.trim()
    if (line === '' || line.startsWith('#')) continue
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line)
    if (!match) {
      throw new LocatedError('E_DOTENV_SYNTAX', 'expected KEY=VALUE (the value is not shown: it may be a secret)', {file, line: lineNo, column: 1})
    }
    const name = match[1]!
    let rest = match[2]!
    const quote = rest[0]
    if (quote === '"' || quote === "'") {
      // A quoted value ends at the first unescaped closing quote, possibly lines later.
      let body = rest.slice(1)
      let end = closingQuote(body, quote)
      while (end < 0 && i + 1 < lines.length) {
        body += '\n' + lines[++i]!
        end = closingQuote(body, quote)
      }
      if (end < 0) throw new LocatedError('E_DOTENV_SYNTAX', `unterminated ${quote} quote in the value of ${name}`, {file, line: lineNo, column: 1})
      const raw = body.slice(0, end)
      env[name] = quote === "'" ? raw : interpolate(unescape(raw), env)
      continue
    }
    rest = rest.replace(/\s+#.*$/, '').trim()
    env[name] = interpolate(rest, env)
  }
  return env
}

/** Reads and parses an app's env_file (`owner` names the app in errors). */
export async function readEnvFile(file: string, owner: string): Promise<Record<string, string>> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new FlotillaError('E_ENV_FILE', `${file}: cannot read the env_file of ${owner} (${error.code ?? error.message})`, ExitCode.input)
  })
  return parseDotenv(text, file)
}

function closingQuote(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && quote === '"') i++
    else if (body[i] === quote) return i
  }
  return -1
}

const ESCAPES: Record<string, string> = {n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$'}

function unescape(raw: string): string {
  // `\$` survives as a marker so interpolation leaves a literal dollar.
  return raw.replace(/\\(.)/g, (all, c: string) => (c === '$' ? '\\$' : (ESCAPES[c] ?? all)))
}

/** `${VAR}`, `${VAR:-default}` and `$VAR` from earlier keys of the file, then the host environment. */
function interpolate(value: string, env: Record<string, string>): string {
  return value
    .replace(/(?<!\\)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|(?<!\\)\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (_all, braced: string | undefined, fallback: string | undefined, bare: string | undefined) => {
        const name = (braced ?? bare)!
        const found = env[name] ?? process.env[name]
        return found === undefined || found === '' ? (fallback ?? '') : found
      })
    .replace(/\\\$/g, '$')
}

export interface FlyEnvInput {
  app: string
  group: string
  machineId: string
  /** primary_region, else the local region code. */
  region: string
  privateIp: string
  memoryMb: number
  imageRef: string
  machineVersion: string
  /** `[env]` of the (flattened) config. */
  configEnv: Record<string, string>
  /** The env_file's variables: they override `[env]` as Fly secrets do. */
  secrets: Record<string, string>
}

/**
 * Layering as on Fly: `[env]`, then what flyctl writes into the Machine config
 * (FLY_PROCESS_GROUP, PRIMARY_REGION), then secrets, then what the platform sets at boot.
 */
export function flyEnv(input: FlyEnvInput): Record<string, string> {
  return {
    ...input.configEnv,
    FLY_PROCESS_GROUP: input.group,
    PRIMARY_REGION: input.region,
    ...input.secrets,
    FLY_APP_NAME: input.app,
    FLY_MACHINE_ID: input.machineId,
    FLY_ALLOC_ID: input.machineId,
    FLY_REGION: input.region,
    FLY_PRIVATE_IP: input.privateIp,
    FLY_VM_MEMORY_MB: String(input.memoryMb),
    FLY_IMAGE_REF: input.imageRef,
    FLY_MACHINE_VERSION: input.machineVersion,
  }
}

/** Fly reserves FLY_* (docs forbid setting them; flyctl does not check): name each one. */
export function reservedEnvNames(configEnv: Record<string, string>): string[] {
  return Object.keys(configEnv).filter((name) => name.startsWith('FLY_')).sort()
}
