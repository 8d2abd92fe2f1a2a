// Public surface of src/importers (docs/internal-apis.md).
export {parseProcfile} from './procfile.js'
export type {ParsedProcfile, ProcfileEntry} from './procfile.js'
export {throwFirstError} from './diagnostics.js'
export type {ImportDiagnostic} from './diagnostics.js'
