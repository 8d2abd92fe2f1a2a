// Public surface of src/config (docs/internal-apis.md): the fly.toml model and flyctl's rules.
export type * from './types.js'
export type {MachineConfig, MachineGuest, MachineService, MachineServiceCheck, MachineCheck, MachineMount} from './machine.js'
export {parseToml} from './parse.js'
export {loadFlyConfig} from './load.js'
export {processGroups, defaultGroup} from './process-groups.js'
export {flatten} from './flatten.js'
export {toMachineConfig} from './machine.js'
export {shellSplit} from './shell-split.js'
export {parseDuration, formatDuration} from './duration.js'
export {serialiseFlyConfig} from './serialise.js'
export {formatDiagnostic} from './diagnostic.js'
// "did you mean" for unknown keys, shared with flotilla.toml's parser.
export {closest} from './schema.js'
