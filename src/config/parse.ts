import {parse, TomlError} from 'smol-toml'
import {LocatedError} from '../errors.js'

const utf8 = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true})

/**
 * Decodes fly.toml bytes strictly: invalid UTF-8 is an error rather than U+FFFD, which would
 * otherwise slip into env values and commands. A leading BOM is removed.
 */
export function decodeText(text: string | Uint8Array, file: string): string {
  let decoded: string
  if (typeof text === 'string') decoded = text
  else {
    try {
      decoded = utf8.decode(text)
    } catch (error) {
      throw new LocatedError('E_ENCODING', 'file is not valid UTF-8', {file, ...firstInvalidUtf8(text)}, undefined, {cause: error})
    }
  }
  return decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded
}

/** Parses TOML text (or bytes) into smol-toml's null-prototype tables, with located errors. */
export function parseToml(text: string | Uint8Array, file: string): Record<string, unknown> {
  const source = decodeText(text, file)
  try {
    return parse(source)
  } catch (error) {
    if (!(error instanceof TomlError)) throw error
    // smol-toml's message is "Invalid TOML document: <reason>\n\n<code frame>"; keep the reason.
    const reason = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '')
    throw new LocatedError('E_TOML_SYNTAX', reason, {file, line: error.line, column: error.column}, undefined, {cause: error})
  }
}

/** 1-based line and column (in characters) of the first byte that breaks UTF-8 decoding. */
function firstInvalidUtf8(bytes: Uint8Array): {line: number; column: number} {
  let line = 1
  let column = 1
  let i = 0
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i)
    if (length === 0) break
    if (bytes[i] === 0x0a) {
      line++
      column = 1
    } else column++
    i += length
  }
  return {line, column}
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when it is invalid. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i] ?? 0
  const [length, min, max] =
    lead < 0x80 ? [1, 0, 0] : lead >= 0xc2 && lead <= 0xdf ? [2, 0x80, 0xbf] : lead === 0xe0 ? [3, 0xa0, 0xbf]
    : lead === 0xed ? [3, 0x80, 0x9f] : lead >= 0xe1 && lead <= 0xef ? [3, 0x80, 0xbf] : lead === 0xf0 ? [4, 0x90, 0xbf]
    : lead >= 0xf1 && lead <= 0xf3 ? [4, 0x80, 0xbf] : lead === 0xf4 ? [4, 0x80, 0x8f] : [0, 0, 0]
  if (length <= 1) return length
  for (let k = 1; k < length; k++) {
    const byte = bytes[i + k]
    const [lo, hi] = k === 1 ? [min, max] : [0x80, 0xbf]
    if (byte === undefined || byte < lo || byte > hi) return 0
  }
  return length
}
