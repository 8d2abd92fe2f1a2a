export type {Workspace, WorkspaceApp, WorkspaceLocal} from './types.js'
export {parseWorkspace} from './parse.js'
export {serialiseWorkspace} from './serialise.js'
export {findWorkspace, type FoundWorkspace} from './find.js'
