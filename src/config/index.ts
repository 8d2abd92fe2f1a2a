// Public surface of src/config (docs/internal-apis.md): the fly.toml model and flyctl's rules.
export type * from './types.js'
export {parseToml} from './parse.js'
export {processGroups, defaultGroup} from './process-groups.js'
export {shellSplit} from './shell-split.js'
export {parseDuration, formatDuration} from './duration.js'
