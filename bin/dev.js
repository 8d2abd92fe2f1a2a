#!/usr/bin/env node
// bin/dev.js: run commands/ and src/ from TypeScript, ignoring any built manifest.
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {register} from 'tsx/esm/api'

register()
const {execute} = await import('@oclif/core')
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
pjson.oclif.commands = './commands'
pjson.version += '+dev' // differs from the manifest's version, so oclif ignores the manifest
const warn = process.emitWarning.bind(process)
process.emitWarning = (w, ...rest) => (String(w).startsWith('Mismatched version') ? undefined : warn(w, ...rest))
await execute({loadOptions: {root: fileURLToPath(new URL('..', import.meta.url)), pjson}})
