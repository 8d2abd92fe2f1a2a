import {basename, extname} from 'node:path'
import type {Assign, Command, File, Stmt, Word} from 'mvdan-sh'
import {LocatedError} from '../errors.js'
import {quoteArgv} from '../config/index.js'
import {PlanBuilder, type ImportPlan} from './plan.js'
import {literalWord, parseShell, renderShellCommand, shellSyntax} from './shell.js'

// mvdan/sh BinCmdOperator values: `|` and `|&`.
const PIPE_OPS = new Set([12, 13])
// Statements that only manage the jobs the script started, or print: each group is now a Machine.
const JOB_CONTROL = new Set(['wait', 'fg', 'bg', 'jobs', 'trap', 'kill'])
const CHATTER = new Set(['echo', 'printf', 'sleep', 'true', ':', 'exit', 'ps', 'set'])
// Launchers whose first operand says more about the process than their own name does.
const LAUNCHERS = new Set(['python', 'python3', 'node', 'ruby', 'bundle', 'exec', 'java', 'php', 'npm', 'yarn', 'npx', 'pnpm', 'bun', 'deno', 'env', 'sh', 'bash', 'rails', 'rake'])

/**
 * A shell entrypoint → groups, read with a real shell parser (mvdan/sh). Recognised at the top
 * level: `cmd &` (a group each), the main process (`exec cmd`, else the first command after the
 * last background job), `wait`/`wait -n`/`fg %1`/`set -m` (the supervision Fly now does), literal
 * `export`/`VAR=value` (→ [env]) and literal `cd DIR` (→ `cd DIR && …`). Anything else is
 * reported; a script with no recognisable process becomes one `sh -c` group.
 */
export function importScript(text: string, file: string): ImportPlan {
  const syntax = shellSyntax()
  let ast: File
  try {
    ast = parseShell(text, file)
  } catch (error) {
    const e = error as {Error?: () => string; Pos?: {Line(): number; Col(): number}; Text?: string}
    if (!e.Pos || !e.Text) throw error
    throw new LocatedError('E_SHELL_SYNTAX', e.Text, {file, line: e.Pos.Line(), column: e.Pos.Col()})
  }
  const bytes = Buffer.from(text, 'utf8')
  const source = (stmt: {Pos(): {Offset(): number}; End(): {Offset(): number}}): string =>
    bytes.subarray(stmt.Pos().Offset(), stmt.End().Offset()).toString('utf8')
  const builder = new PlanBuilder('script', file)
  const type = (node: unknown): string => syntax.NodeType(node)
  const at = (stmt: Stmt): {file: string; line: number} => ({file, line: stmt.Pos().Line()})
  const lastBackground = ast.Stmts.map((s) => s.Background).lastIndexOf(true)
  const execIndex = ast.Stmts.findLastIndex((s) => !s.Background && argv0(s.Cmd) === 'exec')
  let mainIndex = execIndex
  if (mainIndex === -1) {
    mainIndex = ast.Stmts.findIndex((s, i) => i > lastBackground && !s.Background && isProcess(s.Cmd))
  }
  let cwd: string | undefined
  let allExport = false
  // Plain `X=1` is a shell variable: the processes only see it once exported.
  const shellVars = new Map<string, string>()
  const shellVarLines = new Map<string, number>()
  const exportVar = (variable: string, value: string, stmt: Stmt): void => {
    shellVars.delete(variable)
    builder.plan.env[variable] = value
    builder.map(`export ${variable}=${value}`, `[env] ${variable}`, at(stmt))
  }
  const used = new Set<string>()
  const processes: {stmt: Stmt; command: string}[] = []

  ast.Stmts.forEach((stmt, index) => {
    const cmd = stmt.Cmd
    const name = argv0(cmd)
    // a backslash-newline only continues the line: fold it so the command reads as one line
    const text = source(stmt).replace(/\s*&$/, '').replace(/[ \t]*\\\n\s*/g, ' ')
    if (stmt.Background || index === mainIndex) {
      if (isProcess(cmd)) processes.push({stmt, command: text})
      else builder.warn('W_SCRIPT_UNMAPPED', `${stmt.Background ? 'background' : 'main'} ${type(cmd)} is not a plain command; not mapped: ${oneLine(text)}`, at(stmt))
      return
    }
    if (/^\w+=\$!$/.test(text)) return // remembers a job's PID, for the job control Fly replaces
    if ((cmd && type(cmd) === 'DeclClause' && cmd.Variant?.Value === 'export') || (cmd && type(cmd) === 'CallExpr' && (cmd.Args?.length ?? 0) === 0)) {
      const exported = type(cmd) === 'DeclClause' || allExport
      for (const assign of (type(cmd) === 'DeclClause' ? cmd.Args : cmd.Assigns) as Assign[]) {
        if (!assign.Name) continue
        const variable = assign.Name.Value
        if (assign.Naked) {
          const value = shellVars.get(variable)
          if (value !== undefined) exportVar(variable, value, stmt)
          continue
        }
        const value = assign.Value ? literalWord(assign.Value) : ''
        if (value === undefined) {
          builder.warn('W_SCRIPT_UNMAPPED', `${variable} is computed when the script runs; not carried over: ${oneLine(text)}`, at(stmt))
        } else if (exported) {
          exportVar(variable, value, stmt)
        } else {
          shellVars.set(variable, value)
          shellVarLines.set(variable, stmt.Pos().Line())
        }
      }
      return
    }
    if (name === 'cd' && cmd?.Args?.length === 2) {
      const dir = literalWord(cmd.Args[1] as Word)
      if (dir === undefined) builder.warn('W_SCRIPT_UNMAPPED', `cd to a computed directory is not carried over: ${oneLine(text)}`, at(stmt))
      else {
        cwd = dir
        builder.map(`cd ${dir}`, `cd ${dir} && … in the commands that follow`, at(stmt))
      }
      return
    }
    if (name === 'set' && cmd?.Args?.some((a) => /^-\w*m/.test(a.Lit()))) {
      builder.map('set -m', 'job control: each background job is its own group', at(stmt))
      return
    }
    if (name === 'set' && cmd?.Args?.some((a) => /^-\w*a/.test(a.Lit()))) allExport = true
    if (name && JOB_CONTROL.has(name)) {
      used.add(name)
      builder.map(oneLine(text), 'Fly supervises each group (restarts per [[restart]], stops with kill_signal)', at(stmt))
      return
    }
    if (name && CHATTER.has(name)) return
    const starts = startsProcesses(stmt, syntax, type)
    builder.warn('W_SCRIPT_UNMAPPED', `${starts ? 'starts processes inside a compound command' : index < mainIndex || mainIndex === -1 ? 'runs before the processes start' : 'runs after the main process'}; not carried over: ${oneLine(text)}`, at(stmt))
  })

  const names = new Map<string, number>()
  for (const {stmt, command} of processes) {
    const rendered = renderShellCommand(command, cwd)
    const derived = processName(stmt.Cmd, command)
    const count = (names.get(derived) ?? 0) + 1
    names.set(derived, count)
    const origin = {file, line: stmt.Pos().Line(), name: count === 1 ? derived : `${derived}-${count}`}
    const label = builder.label(origin)
    if (label === undefined) continue
    builder.add({name: label, origin, command: rendered.command})
    if (rendered.signalsStopAtShell) builder.warn('W_SHELL_SIGNALS', `"${label}" is a compound shell command: Fly's kill_signal reaches sh, not the processes it started`, at(stmt))
  }
  for (const [variable, line] of shellVarLines) {
    if (!shellVars.has(variable)) continue
    const users = processes.filter((p) => new RegExp(`\\$\\{?${variable}\\b`).test(p.command)).map((p) => p.command.split(/\s/)[0])
    builder.warn('W_SCRIPT_SHELL_VAR', `${variable} is a shell variable, not exported: ${users.length > 0 ? `the commands that use it (${users.join(', ')}) need it in [env]` : 'the processes never saw it'}; not carried over`, {file, line})
  }
  if (builder.plan.groups.length === 0) {
    // The whole script runs after all: only the reasons no process could be singled out remain.
    builder.plan.mappings.length = 0
    builder.plan.diagnostics = builder.plan.diagnostics.filter((d) => d.message.startsWith('starts processes inside'))
    builder.warn('W_SCRIPT_WHOLE', 'no top-level background job or main process found: the whole script runs as one group through sh -c')
    const origin = {file, line: 1, name: basename(file, extname(file)) || 'app'}
    const label = builder.label(origin)
    if (label !== undefined) builder.add({name: label, origin, command: quoteArgv(['sh', '-c', text.replace(/^#!.*\n/, '')])})
  }
  if (used.has('trap')) builder.warn('W_SCRIPT_TRAP', 'the script traps signals: Fly sends kill_signal to each group\'s process directly; check the group\'s kill_signal')
  return builder.plan
}

function argv0(cmd: Command | null): string | undefined {
  const first = cmd?.Args?.[0] as Word | undefined
  return first && typeof first.Lit === 'function' ? first.Lit() || undefined : undefined
}

/** A simple command (with at least one word) or a pipeline of them. */
function isProcess(cmd: Command | null): boolean {
  if (!cmd) return false
  if (PIPE_OPS.has(cmd.Op ?? -1) && cmd.X && cmd.Y) return isProcess(cmd.X.Cmd) && isProcess(cmd.Y.Cmd)
  const name = argv0(cmd)
  return (cmd.Args?.length ?? 0) > 0 && typeof (cmd.Args?.[0] as Word | undefined)?.Lit === 'function' &&
    !(name && (CHATTER.has(name) || JOB_CONTROL.has(name) || name === 'cd'))
}

function startsProcesses(stmt: Stmt, syntax: {Walk(n: Stmt, f: (n: unknown) => boolean): void}, type: (n: unknown) => string): boolean {
  let found = false
  syntax.Walk(stmt, (node) => {
    if (node && node !== stmt && type(node) === 'Stmt' && ((node as Stmt).Background || argv0((node as Stmt).Cmd) === 'exec')) found = true
    return !found
  })
  return found
}

/** A group name from the command: `python -m app.worker` → worker, `bundle exec sidekiq` → sidekiq. */
function processName(cmd: Command | null, text: string): string {
  const words = (cmd?.Args ?? []).map((w) => (w as Word).Lit()).filter((w) => w !== '')
  const operands = words.filter((w, i) => i === 0 || !w.startsWith('-'))
  const name = operands.find((w) => !LAUNCHERS.has(basename(w))) ?? operands[0] ?? text.split(/\s/)[0] ?? 'app'
  const base = basename(name)
  return (base.includes('.') && !/\.(py|js|rb|sh|ts|php)$/.test(base) ? base.split('.').pop() : base.replace(/\.[^.]+$/, '')) || 'app'
}

function oneLine(text: string): string {
  const line = text.replace(/\\\n\s*/g, ' ').split('\n')[0] ?? ''
  return line.length > 80 ? `${line.slice(0, 77)}…` : line + (text.includes('\n') ? ' …' : '')
}
