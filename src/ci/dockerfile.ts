/**
 * The build inputs a Dockerfile reads from its context: the sources of its COPY and ADD
 * instructions (not `--from=` copies between stages, not URLs). `undefined` means "the whole
 * context" (a `.` source), which is what every change then has to redeploy.
 */
export function dockerfileSources(text: string): string[] | undefined {
  const sources = new Set<string>()
  // A trailing backslash continues the instruction; comment lines inside it are dropped.
  const instructions = text.replace(/\\\r?\n(\s*#[^\n]*\n)*/g, ' ').split(/\r?\n/)
  for (const line of instructions) {
    const match = /^\s*(COPY|ADD)\s+(.*)$/i.exec(line)
    if (!match) continue
    const rest = (match[2] ?? '').trim()
    let args: string[]
    if (rest.startsWith('[')) {
      try {
        args = JSON.parse(rest) as string[]
      } catch {
        return undefined
      }
    } else {
      args = rest.split(/\s+/)
    }
    const flags = args.filter((a) => a.startsWith('--'))
    if (flags.some((f) => f.startsWith('--from'))) continue
    const operands = args.filter((a) => !a.startsWith('--'))
    for (const source of operands.slice(0, -1)) {
      if (/^[a-z]+:\/\//i.test(source) || source.startsWith('<<')) continue
      const clean = source.replace(/^\.\//, '').replace(/\/+$/, '')
      if (clean === '' || clean === '.' || clean === '*') return undefined
      sources.add(clean)
    }
  }
  return [...sources]
}
