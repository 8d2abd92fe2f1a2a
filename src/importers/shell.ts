import {createRequire} from 'node:module'
import type {File, Stmt, Word} from 'mvdan-sh'
import {quoteArgv} from '../config/index.js'

type Syntax = (typeof import('mvdan-sh'))['default']['syntax']
let loaded: Syntax | undefined

/**
 * mvdan/sh's parser (the one behind shfmt), loaded on first use. `require`, not `import()`:
 * mvdan-sh is a 1.5 MB CommonJS bundle, and import() makes Node scan all of it for named exports
 * first (~3x the load time, profiled).
 */
export function shellSyntax(): Syntax {
  loaded ??= (createRequire(import.meta.url)('mvdan-sh') as {syntax: Syntax}).syntax
  return loaded
}

export function parseShell(text: string, file: string): File {
  return shellSyntax().NewParser().Parse(text, file)
}

/**
 * The value of a word sh would pass through unchanged: plain, '…' or "…" text without
 * expansions, escapes, globs or a leading ~. Anything else needs a shell to mean what it says.
 */
export function literalWord(word: Word): string | undefined {
  const type = shellSyntax().NodeType
  let out = ''
  for (const [index, part] of word.Parts.entries()) {
    const t = type(part)
    const value = part.Value ?? ''
    if (t === 'SglQuoted') out += value
    else if (t === 'Lit' && !/[\\*?[{]/.test(value) && !(index === 0 && value.startsWith('~'))) out += value
    else if (t === 'DblQuoted' && (part.Parts ?? []).every((p) => type(p) === 'Lit' && !(p.Value ?? '').includes('\\'))) {
      out += (part.Parts ?? []).map((p) => p.Value).join('')
    } else return undefined
  }
  return out
}

/** The argv of a statement that is one command of literal words (a leading `exec` dropped). */
function literalArgv(stmt: Stmt): string[] | undefined {
  const cmd = stmt.Cmd
  if (!cmd || shellSyntax().NodeType(cmd) !== 'CallExpr' || (cmd.Assigns?.length ?? 0) > 0 || stmt.Redirs.length > 0 || stmt.Negated) return undefined
  const words = (cmd.Args ?? []).map((w) => literalWord(w as Word))
  if (words.length === 0 || words.some((w) => w === undefined)) return undefined
  return (words[0] === 'exec' && words.length > 1 ? words.slice(1) : words) as string[]
}

export interface RenderedCommand {
  command: string
  /** Why a shell was needed, when it was. */
  shell?: string
  /** The shell stays between Fly's init and the processes: kill_signal stops at sh. */
  signalsStopAtShell?: boolean
}

/**
 * A shell command line (Procfile entry, script statement), run from `cwd` when given, as a
 * `[processes]` command: flyctl runs those without a shell, so one command of literal words
 * becomes its argv, and anything else `sh -c '…'`, with `exec` in front of a single command so
 * the process, not sh, receives Fly's kill_signal. Unparsable text is kept for sh to judge.
 */
export function renderShellCommand(script: string, cwd?: string): RenderedCommand {
  const text = script.trim()
  const cd = cwd === undefined ? '' : `cd ${quoteArgv([cwd])} && `
  let stmts: Stmt[]
  try {
    stmts = parseShell(text, '').Stmts
  } catch {
    return {command: quoteArgv(['sh', '-c', cd + text]), shell: 'is not valid shell syntax (sh will say why when it runs)', signalsStopAtShell: true}
  }
  const [stmt] = stmts
  const single = stmts.length === 1 && stmt && !stmt.Background && shellSyntax().NodeType(stmt.Cmd) === 'CallExpr' && (stmt.Cmd?.Args?.length ?? 0) > 0
  const shell = text.includes('$') ? 'expands variables ($…)'
    : !single ? 'chains commands (&&, ||, |, ;, &)'
    : (stmt.Cmd?.Assigns?.length ?? 0) > 0 ? 'sets variables for the command'
    : stmt.Redirs.length > 0 ? 'redirects input or output' : 'uses quotes, globs or escapes only sh understands'
  if (!single) return {command: quoteArgv(['sh', '-c', cd + text]), shell, signalsStopAtShell: true}
  const argv = literalArgv(stmt)
  if (argv && cwd === undefined) return {command: quoteArgv(argv)}
  // `A=1 exec cmd`: sh (dash and bash) passes the assignments on to the program exec runs.
  const bytes = Buffer.from(text, 'utf8')
  const first = stmt.Cmd!.Args![0] as Word
  const assignments = bytes.subarray(0, first.Pos().Offset()).toString('utf8')
  const rest = bytes.subarray(first.Pos().Offset()).toString('utf8')
  const body = first.Lit() === 'exec' ? text : `${assignments}exec ${rest}`
  return {command: quoteArgv(['sh', '-c', cd + body]), ...(argv ? {} : {shell})}
}
