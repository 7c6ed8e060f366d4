/**
 * `npm run soak`: edgepod on Node under load for minutes, on loopback, counting what a production
 * server must never do: lose, repeat or reorder an output, fail a request other than with the
 * documented 429, or keep memory, jobs, timers or sockets after the jobs' ttl has passed.
 *
 * By default one worker process (`soak/single.ts`). With `--fleet <n>`, a fleet of `n` members
 * sharing a real redis-server, readers resuming on other members than their job's, and a member
 * killed (SIGKILL) every `--kill-every` seconds (`soak/fleet-soak.ts`); there Redis must end with
 * no key of a job once the ttl has passed, its memory back to its baseline.
 *
 * Prints a report, writes it as JSON (`--out`), exits 1 if anything failed.
 * @module
 */
import { fleetSoak } from './fleet-soak.ts'
import { soakOptions } from './options.ts'
import { singleSoak } from './single.ts'

const options = soakOptions(process.argv.slice(2))
await (options.fleet > 0 ? fleetSoak(options) : singleSoak(options))
