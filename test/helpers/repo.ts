import {spawn} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repository root, located once (tests run from source, never from dist/). */
export const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)))
/** The shared real-world fixtures, read in place and never copied. */
export const fixturesDir = resolve(repoRoot, '..', 'shared', 'fixtures', 'real')
export const fixture = (...parts: string[]): string => join(fixturesDir, ...parts)

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs the built CLI (`bin/run.js`) and collects its output. */
export function runCli(
  args: string[],
  options: {cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number} = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), ...args], {
      cwd: options.cwd ?? repoRoot,
      env: {...process.env, NO_COLOR: '1', ...options.env},
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code, signal) => resolvePromise({code, signal, stdout, stderr}))
    child.stdin.end(options.input ?? '')
  })
}

/** A fresh temporary directory, removed when the test ends. */
export async function tempDir(t: {after(fn: () => unknown): void}, prefix = 'flotilla-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.after(() => rm(dir, {recursive: true, force: true}))
  return dir
}
