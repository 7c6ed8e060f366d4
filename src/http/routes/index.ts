/**
 * The route table: every route of docs/protocol.md, once. The app registers it (at the root and
 * under `/v2/:endpointId`), answers 405 from it, and `/openapi.json` describes it.
 * @module
 */
import type { Route } from '../route.ts'
import { jobRoutes } from './jobs.ts'
import { openAIRoutes } from './openai.ts'
import { streamRoutes } from './streams.ts'
import { workerRoutes } from './worker.ts'

/** Every route of the job API. */
export const routes: readonly Route[] = [...jobRoutes, ...streamRoutes, ...workerRoutes, ...openAIRoutes]
