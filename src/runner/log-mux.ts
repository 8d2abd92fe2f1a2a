/**
 * The log multiplexer: turns each child pipe into whole lines, keeps a bounded tail per instance,
 * and writes every instance's lines into one output stream, never two processes' bytes on one
 * line. Memory stays bounded: a line longer than `maxLineBytes` is cut (at a UTF-8 character
 * boundary) into marked pieces, and when the output is slower than the children, the supervisor
 * pauses their pipes (see `LogMux.write`) so the kernel, not our heap, holds the backlog.
 */
import {EventEmitter} from 'node:events'
import type {Writable} from 'node:stream'
import {type FormatOptions, LogFormatter, type LineSource, type LogStream} from './log-format.js'

export interface LogLine {
  /** Milliseconds since the epoch, when the line was read. */
  ts: number
  key: string
  app: string
  group: string
  instance: number
  stream: LogStream
  line: string
  /** A piece of a longer line that continues in the next record. */
  partial?: true
}

export interface SplitterOptions {
  /** Longest line kept whole; longer ones are emitted in pieces marked partial. */
  maxLineBytes: number
  /** A line left unfinished this long (a prompt, a progress bar) is emitted as a partial piece. */
  idleFlushMs: number
}

export const defaultSplitterOptions: SplitterOptions = {maxLineBytes: 1 << 20, idleFlushMs: 500}

const NL = 0x0a

/**
 * Cuts a byte stream into batches of whole lines. `emit(text, partial)` receives one or more
 * lines, each ending in `\n`; with `partial`, the last one continues in the next batch.
 */
export class LineSplitter {
  #carry: Buffer[] = []
  #carryBytes = 0
  #idle: NodeJS.Timeout | undefined

  constructor(
    readonly emit: (text: string, partial: boolean) => void,
    readonly options: SplitterOptions = defaultSplitterOptions,
  ) {}

  push(chunk: Buffer): void {
    const last = chunk.lastIndexOf(NL)
    if (last === -1) {
      this.#hold(chunk)
      while (this.#carryBytes > this.options.maxLineBytes) this.#flushPiece(this.options.maxLineBytes)
      this.#armIdle()
      return
    }
    let whole = chunk.subarray(0, last + 1)
    if (this.#carryBytes > 0) {
      whole = Buffer.concat([...this.#carry, whole])
      this.#carry = []
      this.#carryBytes = 0
    }
    if (whole.length > this.options.maxLineBytes) this.#emitCapped(whole)
    else this.emit(whole.toString('utf8'), false)
    if (last + 1 < chunk.length) {
      this.#hold(chunk.subarray(last + 1))
      this.#armIdle()
    } else this.#clearIdle()
  }

  /** End of stream: a final line without newline is still a line. */
  end(): void {
    this.#clearIdle()
    if (this.#carryBytes === 0) return
    const rest = Buffer.concat(this.#carry)
    this.#carry = []
    this.#carryBytes = 0
    this.emit(rest.toString('utf8') + '\n', false)
  }

  #hold(bytes: Buffer): void {
    this.#carry.push(bytes)
    this.#carryBytes += bytes.length
  }

  /** Emits whole lines, cutting any line longer than the cap into partial pieces. */
  #emitCapped(whole: Buffer): void {
    const max = this.options.maxLineBytes
    let start = 0
    let runStart = 0
    while (start < whole.length) {
      const nl = whole.indexOf(NL, start)
      if (nl - start + 1 > max) {
        if (runStart < start) this.emit(whole.toString('utf8', runStart, start), false)
        let pos = start
        while (nl - pos + 1 > max) {
          const cut = Math.max(pos + 1, charBoundary(whole, pos + max))
          this.emit(whole.toString('utf8', pos, cut) + '\n', true)
          pos = cut
        }
        this.emit(whole.toString('utf8', pos, nl + 1), false)
        runStart = nl + 1
      }
      start = nl + 1
    }
    if (runStart < whole.length) this.emit(whole.toString('utf8', runStart), false)
  }

  /** Emits the first `bytes` (fewer, to end on a character boundary) of the carry as a piece. */
  #flushPiece(bytes: number): void {
    const all = Buffer.concat(this.#carry)
    const cut = bytes < all.length ? charBoundary(all, bytes) : completeLength(all)
    if (cut === 0) return // an incomplete character only: wait for the rest
    this.emit(all.toString('utf8', 0, cut) + '\n', true)
    const rest = all.subarray(cut)
    this.#carry = rest.length > 0 ? [rest] : []
    this.#carryBytes = rest.length
  }

  #armIdle(): void {
    if (this.#idle) this.#idle.refresh()
    else {
      this.#idle = setTimeout(() => {
        this.#idle = undefined
        this.#flushPiece(this.#carryBytes)
      }, this.options.idleFlushMs).unref()
    }
  }

  #clearIdle(): void {
    clearTimeout(this.#idle)
    this.#idle = undefined
  }
}

/**
 * The largest index ≤ `end` that does not split a UTF-8 sequence (continuation bytes are
 * 10xxxxxx, at most 3 in a row); `end` itself for bytes that are not UTF-8 anyway.
 */
function charBoundary(buf: Buffer, end: number): number {
  if (end >= buf.length) return buf.length
  for (let cut = end; cut > 0 && cut >= end - 3; cut--) if ((buf[cut]! & 0xc0) !== 0x80) return cut
  return end
}

/** Length of `buf` without a UTF-8 sequence cut off at its end (the rest is still on its way). */
function completeLength(buf: Buffer): number {
  for (let i = buf.length - 1; i >= 0 && i >= buf.length - 4; i--) {
    const byte = buf[i]!
    if ((byte & 0xc0) === 0x80) continue
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    return i + length <= buf.length ? buf.length : i
  }
  return buf.length
}

interface Batch {
  ts: number
  stream: LogStream
  text: string
  partial: boolean
}

/** The recent output of one instance, bounded in characters, kept as the batches that arrived. */
export class LineRing {
  #batches: Batch[] = []
  #chars = 0

  constructor(readonly maxChars: number) {}

  push(ts: number, stream: LogStream, text: string, partial: boolean): void {
    // A batch larger than the whole ring keeps only its tail lines.
    if (text.length > this.maxChars) text = text.slice(text.indexOf('\n', text.length - this.maxChars - 1) + 1)
    this.#batches.push({ts, stream, text, partial})
    this.#chars += text.length
    while (this.#chars > this.maxChars) this.#chars -= this.#batches.shift()!.text.length
  }

  /** The last `count` lines (all kept lines without a count), oldest first. */
  lines(source: LineSource, count = Infinity): LogLine[] {
    const out: LogLine[] = []
    for (let b = this.#batches.length - 1; b >= 0 && out.length < count; b--) {
      const {ts, stream, text, partial} = this.#batches[b]!
      const lines = text.slice(0, -1).split('\n')
      for (let i = lines.length - 1; i >= 0 && out.length < count; i--) {
        const line: LogLine = {ts, key: source.key, app: source.app, group: source.group, instance: source.index, stream, line: lines[i]!}
        if (partial && i === lines.length - 1) line.partial = true
        out.push(line)
      }
    }
    return out.reverse()
  }
}

/**
 * Writes formatted batches to one output. `write` returns false once the output is congested;
 * the writer must then pause its sources until the mux emits 'drain'.
 */
export class LogMux extends EventEmitter {
  readonly formatter: LogFormatter
  #congested = false

  constructor(
    readonly out: Writable,
    options: Partial<FormatOptions> = {},
  ) {
    super()
    const tty = out as Writable & {isTTY?: boolean; hasColors?: () => boolean}
    // hasColors() is where Node applies NO_COLOR, FORCE_COLOR and the terminal's depth.
    const color = options.color ?? (tty.isTTY === true && tty.hasColors?.() === true)
    this.formatter = new LogFormatter({format: options.format ?? 'text', color, timestamps: options.timestamps ?? false})
  }

  get congested(): boolean {
    return this.#congested
  }

  add(source: LineSource): void {
    this.formatter.register(source)
  }

  write(source: LineSource, stream: LogStream, text: string, ts: number, partial = false): boolean {
    return this.#write(this.formatter.format(source, stream, text, ts, partial))
  }

  /** A message from flotilla itself, in the same stream and alignment. */
  system(message: string): boolean {
    return this.#write(this.formatter.system(message, Date.now()))
  }

  #write(text: string): boolean {
    if (this.out.write(text) || this.#congested) return !this.#congested
    this.#congested = true
    this.out.once('drain', () => {
      this.#congested = false
      this.emit('drain')
    })
    return false
  }
}
