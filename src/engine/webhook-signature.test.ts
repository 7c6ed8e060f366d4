import { createHmac, randomBytes } from 'node:crypto'
import { describe, it, expect } from 'vitest'
import { Webhook } from 'standardwebhooks'
import { decodeWebhookSecret, signWebhook, webhookSignatureHeaders } from './webhook-signature.ts'

const KEY = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'utf8')
const BARE = KEY.toString('base64')
const SECRET = `whsec_${BARE}`
const ID = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W'
const BODY = '{"id":"job-1","status":"COMPLETED","input":{"prompt":"héllo 😀"},"output":[1,2]}'

/** The expected signature, computed independently with node:crypto. */
function hmac(key: Uint8Array, signed: string): string {
  return `v1,${createHmac('sha256', key).update(signed, 'utf8').digest('base64')}`
}

function now(): number {
  return Math.floor(Date.now() / 1000)
}

describe('signWebhook', () => {
  it('is the base64 HMAC-SHA256 of "id.timestamp.body" under the decoded whsec_ key', async () => {
    expect(await signWebhook(SECRET, ID, 1_614_265_330, BODY)).toBe(hmac(KEY, `${ID}.1614265330.${BODY}`))
  })

  it('matches the Standard Webhooks specification test vector', async () => {
    // From the spec's reference libraries' tests: the whole signature is fixed by id, time and body.
    const signature = await signWebhook(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1_614_265_330,
      '{"test": 2432232314}',
    )
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  })

  it('reads a secret without the whsec_ prefix as base64 too, as the official library does', async () => {
    expect(await signWebhook(BARE, ID, 1_700_000_000, BODY)).toBe(await signWebhook(SECRET, ID, 1_700_000_000, BODY))
  })

  it('signs the UTF-8 bytes of the body', async () => {
    expect(await signWebhook(SECRET, ID, 1, '"😀é"')).toBe(hmac(KEY, `${ID}.1."😀é"`))
  })

  it('floors a fractional timestamp, the value a receiver parses from the header', async () => {
    expect(await signWebhook(SECRET, ID, 1_700_000_000.9, BODY)).toBe(await signWebhook(SECRET, ID, 1_700_000_000, BODY))
  })

  it.each([NaN, Infinity])('rejects the timestamp %s', async (timestamp) => {
    await expect(signWebhook(SECRET, ID, timestamp, BODY)).rejects.toThrow(RangeError)
  })

  it('differs when any signed part differs', async () => {
    const base = await signWebhook(SECRET, ID, 100, BODY)
    expect(await signWebhook(SECRET, `${ID}x`, 100, BODY)).not.toBe(base)
    expect(await signWebhook(SECRET, ID, 101, BODY)).not.toBe(base)
    expect(await signWebhook(SECRET, ID, 100, `${BODY} `)).not.toBe(base)
    expect(await signWebhook(`whsec_${Buffer.from('another key!').toString('base64')}`, ID, 100, BODY)).not.toBe(base)
  })
})

describe('webhookSignatureHeaders', () => {
  it('gives exactly the three Standard Webhooks headers', async () => {
    const headers = await webhookSignatureHeaders(SECRET, ID, 1_614_265_330.5, BODY)
    expect(headers).toEqual({
      'webhook-id': ID,
      'webhook-timestamp': '1614265330',
      'webhook-signature': hmac(KEY, `${ID}.1614265330.${BODY}`),
    })
  })

  describe('verified by the official standardwebhooks library', () => {
    it.each([
      ['a whsec_ secret', SECRET],
      ['a bare base64 secret', BARE],
      ['a short unpadded secret', 'hunter2'],
    ])('accepts our headers for %s', async (_, secret) => {
      const headers = await webhookSignatureHeaders(secret, ID, now(), BODY)
      expect(new Webhook(secret).verify(BODY, headers)).toEqual(JSON.parse(BODY))
    })

    it('accepts our headers whichever form each side uses', async () => {
      const headers = await webhookSignatureHeaders(BARE, ID, now(), BODY)
      expect(() => new Webhook(SECRET).verify(BODY, headers)).not.toThrow()
    })

    it('rejects a tampered body', async () => {
      const headers = await webhookSignatureHeaders(SECRET, ID, now(), BODY)
      expect(() => new Webhook(SECRET).verify(BODY.replace('COMPLETED', 'FAILED'), headers)).toThrow(/No matching signature/)
    })

    it('rejects a wrong secret', async () => {
      const headers = await webhookSignatureHeaders(SECRET, ID, now(), BODY)
      const other = `whsec_${randomBytes(24).toString('base64')}`
      expect(() => new Webhook(other).verify(BODY, headers)).toThrow(/No matching signature/)
    })

    it('rejects another message id', async () => {
      const headers = await webhookSignatureHeaders(SECRET, ID, now(), BODY)
      expect(() => new Webhook(SECRET).verify(BODY, { ...headers, 'webhook-id': 'msg_other' })).toThrow(/No matching signature/)
    })

    it('agrees with the library on random keys in every padding length', async () => {
      for (let length = 1; length <= 40; length++) {
        const key = randomBytes(length)
        const padded = key.toString('base64')
        for (const secret of [`whsec_${padded}`, padded, padded.replace(/=+$/, '')]) {
          if (secret.replace(/^whsec_/, '').length < 4) continue // the library refuses these (see below)
          const timestamp = now()
          const ours = await signWebhook(secret, ID, timestamp, BODY)
          expect(ours).toBe(new Webhook(secret).sign(ID, new Date(timestamp * 1000), BODY))
        }
      }
    })
  })
})

describe('decodeWebhookSecret', () => {
  it('decodes whsec_ and bare base64 to the same bytes', () => {
    expect(decodeWebhookSecret(SECRET)).toEqual(new Uint8Array(KEY))
    expect(decodeWebhookSecret(BARE)).toEqual(new Uint8Array(KEY))
  })

  it.each([
    ['empty', ''],
    ['only the prefix', 'whsec_'],
    ['URL-safe base64', 'whsec_ab-_cd'],
    ['a passphrase with spaces', 'correct horse battery'],
    ['a trailing newline', `${SECRET}\n`],
    ['too short', 'YQ='],
    ['a dangling character', 'YWJjZ'],
    ['padding in the middle', 'YQ==YQ=='],
    ['padding on an odd length', 'YWJjZA='],
    ['only padding', '===='],
  ])('rejects %s, without quoting it', (_, secret) => {
    let error: unknown
    try {
      decodeWebhookSecret(secret)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(TypeError)
    if (secret.length > 4) expect((error as Error).message).not.toContain(secret)
  })

  it('makes signWebhook reject', async () => {
    await expect(signWebhook('my-secret', ID, 1, BODY)).rejects.toThrow(TypeError)
  })
})
