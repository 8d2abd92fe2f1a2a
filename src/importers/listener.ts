import type {Command, Node, Word} from 'mvdan-sh'
import {parseShell, shellSyntax} from './shell.js'

/** Where a command says it listens, read from the words sh would pass it. */
export interface Listener {
  /** The TCP port, or `$PORT` when it listens on the port the environment gives it. */
  port?: number | '$PORT'
  /** The words that gave the port: `--bind :5000`, `-p $PORT`, `PORT=3000`. */
  portFrom?: string
  /** The host it binds, as written ('' for `:5000`, which gunicorn and friends bind on 0.0.0.0). */
  host?: string
  hostFrom?: string
}

// Flags whose value is an address (host, host:port, :port): gunicorn/hypercorn/daphne/rails -b,
// uvicorn --host, waitress --listen; and flags whose value is a port.
const ADDRESS_FLAGS = new Set(['--bind', '-b', '--host', '--listen', '--address', '--addr'])
const PORT_FLAGS = new Set(['--port', '-p', '--listen-port', '--http-port'])
// Commands whose first operand is the address (Django's `runserver 0.0.0.0:8000`).
const ADDRESS_OPERAND = new Set(['runserver', 'runserver_plus'])

/**
 * The listener of a command line (the first statement that names one wins: `cd src && gunicorn -b
 * :$PORT …` is gunicorn's). Undefined parts are unknown: nothing in the words says them, or the
 * words need a shell to know (`$HOST`, globs).
 */
export function commandListener(command: string): Listener {
  let file
  try {
    file = parseShell(command, '')
  } catch {
    return {}
  }
  const listener: Listener = {}
  const syntax = shellSyntax()
  syntax.Walk(file, (node: Node | null) => {
    if (node && syntax.NodeType(node) === 'CallExpr') readCall(node as Command, listener)
    return true
  })
  return listener
}

function readCall(call: Command, into: Listener): void {
  const words = (call.Args ?? []).map((w) => wordText(w as Word))
  const setPort = (value: string | undefined, from: string): void => {
    const port = portValue(value)
    if (port !== undefined && into.port === undefined) Object.assign(into, {port, portFrom: from})
  }
  const setAddress = (value: string | undefined, from: string, hostOnly: boolean): void => {
    if (value === undefined) return
    const address = /^(?:[a-z]+:\/\/)?(\[[^\]]*\]|[^:/]*):([^:]+)$/.exec(value)
    if (address && portValue(address[2]) !== undefined) {
      setPort(address[2], from)
      if (into.host === undefined) Object.assign(into, {host: address[1]!.replace(/^\[(.*)\]$/, '$1'), hostFrom: from})
    } else if (portValue(value) !== undefined && !hostOnly) {
      setPort(value, from)
    } else if (hostOnly && !value.includes('/') && into.host === undefined) {
      Object.assign(into, {host: value.replace(/^\[(.*)\]$/, '$1'), hostFrom: from})
    }
  }
  for (const assign of call.Assigns ?? []) {
    if (assign.Name?.Value === 'PORT' && assign.Value) setPort(wordText(assign.Value), `PORT=${wordText(assign.Value)}`)
  }
  for (const [index, word] of words.entries()) {
    if (word === undefined) continue
    const [flag, inline] = word.startsWith('--') && word.includes('=') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined]
    const value = inline ?? words[index + 1]
    const from = inline === undefined ? `${flag} ${value}` : word
    if (ADDRESS_FLAGS.has(flag)) setAddress(value, from, true)
    else if (PORT_FLAGS.has(flag)) setPort(value, from)
    else if (ADDRESS_OPERAND.has(word) && words[index + 1] !== undefined && !words[index + 1]!.startsWith('-')) setAddress(value, `${word} ${value}`, false)
    else if (words[0] === 'env' && /^PORT=/.test(word)) setPort(word.slice(5), word)
  }
}

function portValue(text: string | undefined): number | '$PORT' | undefined {
  if (text === '$PORT') return '$PORT'
  if (text === undefined || !/^\d{1,5}$/.test(text)) return undefined
  const port = Number(text)
  return port > 0 && port < 65536 ? port : undefined
}

/** A word's text when sh would give it without looking anything up but $PORT; else undefined. */
function wordText(word: Word): string | undefined {
  const type = shellSyntax().NodeType
  let out = ''
  for (const part of word.Parts) {
    const t = type(part)
    if (t === 'Lit' || t === 'SglQuoted') out += part.Value ?? ''
    else if (t === 'DblQuoted') {
      const inner = wordText(part as unknown as Word)
      if (inner === undefined) return undefined
      out += inner
    } else if (t === 'ParamExp' && part.Param?.Value === 'PORT' && !(part.Exp || part.Slice || part.Repl || part.Index || part.Length || part.Excl)) out += '$PORT'
    else return undefined
  }
  return out
}

/** Why the listener cannot serve other apps (or anything) over Fly's IPv6 private network, if so. */
export function ipv4ListenerProblem(listener: Listener): string | undefined {
  const {host, hostFrom} = listener
  if (host === '' || host === '0.0.0.0') {
    return `listens on 0.0.0.0, IPv4 only (${hostFrom}): Fly Proxy reaches it, but other apps and groups cannot over .internal (IPv6 addresses); bind [::] instead`
  }
  if (host === '127.0.0.1' || host === 'localhost') {
    return `listens on loopback only (${hostFrom}): nothing outside its Machine can connect, not even Fly Proxy; bind [::] instead`
  }
  return undefined
}
