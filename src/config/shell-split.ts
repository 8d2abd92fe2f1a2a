import {FlotillaError} from '../errors.js'

/**
 * Splits a command line into argv with google/shlex's rules, which flyctl uses for
 * `[processes]`, `release_command` and `console_command`: whitespace separates words, single
 * quotes are literal, double quotes allow backslash escapes (the backslash is dropped), a
 * backslash outside quotes escapes the next character, and `#` at the start of a word begins a
 * comment running to the end of the line. There is no shell: `$VAR`, globs and `&&` stay literal.
 */
export function shellSplit(command: string): string[] {
  const words: string[] = []
  let word: string | undefined // undefined between words; '' is a real (quoted) empty word
  let state: 'between' | 'word' | 'escape' | 'single' | 'double' | 'double-escape' | 'comment' = 'between'
  for (const char of command) {
    switch (state) {
      case 'comment':
        if (char === '\n') state = 'between'
        break
      case 'escape':
        word += char
        state = 'word'
        break
      case 'double-escape':
        word += char
        state = 'double'
        break
      case 'single':
        if (char === "'") state = 'word'
        else word += char
        break
      case 'double':
        if (char === '"') state = 'word'
        else if (char === '\\') state = 'double-escape'
        else word += char
        break
      case 'between':
      case 'word':
        if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
          if (word !== undefined) words.push(word)
          word = undefined
          state = 'between'
        } else if (char === '#' && state === 'between') state = 'comment'
        else {
          word ??= ''
          if (char === '\\') state = 'escape'
          else if (char === "'") state = 'single'
          else if (char === '"') state = 'double'
          else {
            word += char
            state = 'word'
          }
        }
        break
    }
  }
  if (state === 'escape' || state === 'double-escape') throw new FlotillaError('E_SHELL_SPLIT', 'EOF found after escape character')
  if (state === 'single' || state === 'double') throw new FlotillaError('E_SHELL_SPLIT', 'EOF found when expecting closing quote')
  if (word !== undefined) words.push(word)
  return words
}

/**
 * The inverse of `shellSplit`: single-quotes a word where needed, so that sh and google/shlex
 * alike (both keep '…' literal) give the word back unchanged.
 */
export function quoteWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word
  return `'${word.replaceAll("'", `'"'"'`)}'`
}

/** An argv as one command line that `shellSplit` (and sh) turn back into the same argv. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ')
}
