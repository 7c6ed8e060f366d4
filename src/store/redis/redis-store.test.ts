/**
 * The Redis store against a real redis-server: the store contract every store keeps, each run on a
 * deployment prefix of its own.
 */
import { afterAll, beforeAll } from 'vitest'
import { describeStoreContract } from '../../../test/store-contract.ts'
import { startRedis } from '../../../test/helpers/redis-server.ts'
import type { TestRedis } from '../../../test/helpers/redis-server.ts'
import { redisStore } from '../../adapter/redis/index.ts'

let redis: TestRedis
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.close()
})

let deployments = 0
describeStoreContract('Redis', async () => {
  const store = await redisStore({ url: redis.url, prefix: `contract-${++deployments}` })
  return { store, close: () => store.close() }
})
