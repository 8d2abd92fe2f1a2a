/**
 * How multiplexed output looks: `app[group].index | line`, padded to the widest instance,
 * coloured per app; or one NDJSON object per line. Works on batches of whole lines so that the
 * common case (many short lines from one process) costs one string replace, not a split.
 */
import {styleText} from 'node:util'

export type LogStream = 'stdout' | 'stderr'

/** Who wrote a line. `key` is the label `app[group].index`, unique in a supervisor. */
export interface LineSource {
  key: string
  app: string
  group: string
  index: number
}

export interface FormatOptions {
  format: 'text' | 'json'
  color: boolean
  timestamps: boolean
}

export const instanceKey = (app: string, group: string, index: number): string => `${app}[${group}].${index}`

type Colour = Parameters<typeof styleText>[0]
// Red last: it reads as "error" and stderr already uses it for its marker.
const palette: Colour[] = ['cyan', 'yellow', 'green', 'magenta', 'blue', 'cyanBright', 'yellowBright',
  'greenBright', 'magentaBright', 'blueBright', 'red', 'redBright']
/**
 * Characters JSON.stringify would escape, newline aside (decoded UTF-8 never holds the lone
 * surrogates it also escapes).
 */
const needsEscape = /["\\\u0000-\u0009\u000b-\u001f]/
/** The label of lines flotilla itself writes into the stream. */
const systemLabel = 'flotilla'
/** Appended to a piece of a line that continues in the next record (over-long or idle line). */
export const continuationMarker = ' …'

export class LogFormatter {
  #width = systemLabel.length
  readonly #colours = new Map<string, Colour>()
  /** Text: `label | ` per source and stream; JSON: the constant tail of each record's head. */
  readonly #heads = new Map<string, string>()

  constructor(readonly options: FormatOptions) {}

  /** Makes a source known: widens the label column and assigns its app a colour. */
  register(source: LineSource): void {
    if (!this.#colours.has(source.app)) this.#colours.set(source.app, palette[this.#colours.size % palette.length]!)
    if (source.key.length > this.#width) {
      this.#width = source.key.length
      this.#heads.clear()
    }
  }

  /**
   * `text` holds one or more whole lines, each ending in `\n`. `partial`: the last line is a
   * piece of a longer one that continues in the next batch.
   */
  format(source: LineSource, stream: LogStream, text: string, ts: number, partial = false): string {
    return this.options.format === 'json'
      ? this.#json(source, stream, text, ts, partial)
      : this.#text(this.#textHead(source, stream), text, ts, partial)
  }

  /** A line from flotilla itself (restarts, crashes), aligned with the instances' lines. */
  system(message: string, ts: number): string {
    if (this.options.format === 'json') return JSON.stringify({ts: new Date(ts).toISOString(), app: systemLabel, stream: 'system', line: message}) + '\n'
    const head = `${this.#style('bold', systemLabel.padEnd(this.#width))} ${this.#style('dim', '|')} `
    return this.#text(head, message.endsWith('\n') ? message : message + '\n', ts, false)
  }

  #text(head: string, text: string, ts: number, partial: boolean): string {
    if (this.options.timestamps) head = this.#style('dim', clock(ts)) + ' ' + head
    let body = text.slice(0, -1)
    if (body.includes('\n')) body = body.replaceAll('\n', '\n' + head)
    return head + body + (partial ? this.#style('dim', continuationMarker) : '') + '\n'
  }

  #textHead(source: LineSource, stream: LogStream): string {
    const id = stream + source.key
    let head = this.#heads.get(id)
    if (head === undefined) {
      const label = this.#style(this.#colours.get(source.app) ?? 'reset', source.key.padEnd(this.#width))
      // stderr is marked so errors stand out even without colour.
      const bar = stream === 'stderr' ? this.#style('red', '!') : this.#style('dim', '|')
      head = `${label} ${bar} `
      this.#heads.set(id, head)
    }
    return head
  }

  #json(source: LineSource, stream: LogStream, text: string, ts: number, partial: boolean): string {
    const id = 'json' + stream + source.key
    let tail = this.#heads.get(id)
    if (tail === undefined) {
      tail = `,"app":${JSON.stringify(source.app)},"group":${JSON.stringify(source.group)},"instance":${source.index},"stream":"${stream}","line":`
      this.#heads.set(id, tail)
    }
    const head = `{"ts":"${new Date(ts).toISOString()}"${tail}`
    const end = partial ? '","partial":true}\n' : '"}\n'
    const body = text.slice(0, -1)
    // Most output needs no JSON escape but the newlines: then one native replace does the batch.
    if (!needsEscape.test(body)) return head + '"' + body.replaceAll('\n', '"}\n' + head + '"') + end
    const lines = body.split('\n')
    let out = ''
    for (let i = 0; i < lines.length; i++) {
      out += head + JSON.stringify(lines[i]) + (partial && i === lines.length - 1 ? ',"partial":true}\n' : '}\n')
    }
    return out
  }

  #style(format: Colour, text: string): string {
    // The caller decided about colour (terminal, NO_COLOR, FORCE_COLOR); Node 20's own stream
    // check would look at process.stdout, which need not be where this text goes.
    return this.options.color ? styleText(format, text, {validateStream: false}) : text
  }
}

/** Local wall-clock time `HH:MM:SS.mmm`, the width every line gets. */
function clock(ts: number): string {
  const d = new Date(ts)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`
}
