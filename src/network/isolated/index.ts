/**
 * Isolated network mode (`up --network isolated`): a network namespace per instance with a
 * Fly-like 6PN address, without root. Loaded on demand by createNetworkMode('isolated', …).
 */
export {createIsolatedNetwork} from './network.js'
export {probeIsolated, type IsolatedProbe, type ProbeCheck} from './probe.js'
export {ipv4OnlyWarning, type Listener} from './listeners.js'
export {RESOLVER, instanceAddress} from './addresses.js'
