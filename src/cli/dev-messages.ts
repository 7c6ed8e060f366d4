/**
 * What `edgepod dev`'s supervisor and its worker processes say to each other over IPC. The
 * supervisor owns the port; each worker process loads one version of the worker file and serves
 * the connections the supervisor hands it, until a newer version is ready.
 * @module
 */

/** The hidden command that starts a worker process: `edgepod __dev-worker <DevWorkerOptions JSON>`. */
export const DEV_WORKER_COMMAND = '__dev-worker'

/** What a worker process is told at its start. */
export interface DevWorkerOptions {
  /** The worker file, as the user named it. */
  file: string
  /** The URL the supervisor listens on. */
  url: string
  /** Serve the playground page beside the API. */
  playground: boolean
}

/** From the supervisor to a worker process. */
export type SupervisorMessage =
  /** Sent with an accepted, paused socket as the handle: serve it (on the health port: `/ping` only). */
  | { type: 'connection'; health?: boolean }
  /** A newer version is serving: finish the requests under way, then exit. */
  | { type: 'retire' }

/** From a worker process to the supervisor. */
export type WorkerProcessMessage =
  /** The worker loaded `file` (absolute): a change to it reloads. */
  | { type: 'imported'; file: string }
  /** The worker loaded and serves; the playground is at `playgroundPath` if it is served. */
  | { type: 'ready'; playgroundPath: string | undefined }
