// Public surface of src/files (docs/internal-apis.md).
export {writeFilesAtomic} from './atomic-write.js'
export type {FileContent} from './atomic-write.js'
