/**
 * The routes of the worker itself: the queue (`/purge-queue`), the counts (`/health`) and the
 * worker's own OpenAPI document. docs/protocol.md, "Routes".
 * @module
 */
import { WorkerError, draining } from '../../errors.ts'
import { isShared } from '../../store/store.ts'
import { apiKeysFor } from '../auth.ts'
import { openApiDocument } from '../openapi.ts'
import { jsonAnswer } from '../openapi-schemas.ts'
import type { Route, RouteContext, WorkerLimits } from '../route.ts'
import { json, jsonText } from '../route.ts'
import { inputJsonSchemaOf } from '../validate-input.ts'

/** The limits the worker really runs with, from its engine's and app's settings. */
export function limitsOf({ engine, options }: RouteContext): WorkerLimits {
  const { executionTimeout, ttl, disconnectGrace, maxEventBytes, maxResultBytes, maxQueue } = engine.options
  const { keepAlive, streamPollWait, maxBodyBytes, maxSyncBodyBytes } = options
  return { executionTimeout, ttl, disconnectGrace, keepAlive, streamPollWait, maxBodyBytes, maxSyncBodyBytes, maxEventBytes, maxResultBytes, maxQueue }
}

/** `/purge-queue`, `/health` and `/openapi.json`. */
export const workerRoutes: readonly Route[] = [
  {
    path: '/purge-queue',
    methods: ['POST'],
    handler: ({ engine }) => async () => json({ removed: await engine.purgeQueue(), status: 'completed' }),
    doc: {
      name: 'purgeQueue',
      tag: 'worker',
      summary: 'Drop queued jobs',
      description: 'Removes the jobs still `IN_QUEUE`; running jobs go on.',
      responses: { 200: jsonAnswer('How many jobs were removed.', 'PurgeResult') },
      errors: [],
    },
  },
  {
    path: '/ping',
    methods: ['GET'],
    handler: ({ engine }) => async () => {
      const { state, error } = engine.readiness
      // A draining process takes no new job: the load balancer sends them to another.
      if (engine.refresh.draining) throw draining()
      if (state === 'ready') return json({ status: 'healthy' })
      if (state === 'failed') throw new WorkerError('setup_failed', error?.message ?? 'setup failed')
      // The setup runs (this request may have started it): RunPod's load balancer waits on 204.
      return new Response(null, { status: 204 })
    },
    doc: {
      name: 'ping',
      tag: 'worker',
      storeFree: true,
      summary: 'Readiness',
      description:
        "RunPod's readiness probe: 204 while the worker's `setup` runs (jobs queue meanwhile), 200 once it has (or with none), 503 `setup_failed` if it failed, 503 `draining` while a `refresh_worker` restart drains the process.",
      responses: { 200: jsonAnswer('Ready.', 'Ping'), 204: { description: 'The setup runs.' } },
      errors: ['NotReady'],
    },
  },
  {
    path: '/health',
    methods: ['GET'],
    handler: ({ engine }) => async () => json(await engine.health()),
    doc: {
      name: 'health',
      tag: 'worker',
      summary: 'Job and worker counts',
      description: "RunPod's health shape.",
      responses: { 200: jsonAnswer('The counts.', 'Health') },
      errors: [],
    },
  },
  {
    path: '/openapi.json',
    methods: ['GET'],
    handler: (context) => {
      const { options, routes } = context
      const limits = limitsOf(context)
      // Built once for each answer to "are keys required?", which env keys can make per request.
      const documents = new Map<boolean, string>()
      return (c) => {
        const auth = apiKeysFor(c, options.apiKeys).length > 0
        let document = documents.get(auth)
        if (!document) {
          const sharedStore = isShared(context.engine.store.dispatcher)
          document = JSON.stringify(openApiDocument({ routes, inputSchema: inputJsonSchemaOf(options.schema), auth, limits, sharedStore }))
          documents.set(auth, document)
        }
        return jsonText(document)
      }
    },
    doc: {
      name: 'openApi',
      tag: 'worker',
      storeFree: true,
      summary: 'This document',
      description: "The OpenAPI 3.1 document of the worker, with the worker's own defaults and limits.",
      responses: { 200: { description: 'This document.', content: { 'application/json': { schema: { type: 'object' } } } } },
      errors: [],
    },
  },
]
