// The web config's gate (the exporter toolkit's web config, SPEC §4b): its
// headers on every answer, its rate limit, its basic auth. One gate for the
// scrape paths answered on node:http and for Express' routes.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { basicAuth } from './auth.js'
import { send } from './answer.js'
import type { WebConfig } from './web-config.js'

/**
 * The web config's checks, in its order: its headers on every answer, then
 * its rate limit (429), then basic auth (401). True when the request may go
 * on; false when the gate has answered it.
 */
export type Gate = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>

export function webGate(web: WebConfig | undefined): Gate {
  const headers = web && Object.keys(web.headers).length > 0 ? Object.entries(web.headers) : []
  const limit = web?.rateLimit ? rateLimiter(web.rateLimit.intervalMs, web.rateLimit.burst) : undefined
  const auth = web && web.users.size > 0 ? basicAuth(web.users) : undefined
  return (req, res) => {
    for (const [name, value] of headers) res.setHeader(name, value)
    if (limit && !limit()) {
      send(res, 429, 'Too Many Requests\n')
      return false
    }
    if (!auth) return true
    return auth.verify(req.headers.authorization).then((ok) => {
      if (!ok) {
        res.setHeader('WWW-Authenticate', 'Basic realm="groundtruth", charset="UTF-8"')
        send(res, 401, 'Unauthorized\n')
      }
      return ok
    })
  }
}

/** The toolkit's `rate_limit`: a token bucket of `burst` tokens, one back every `intervalMs`; false when empty (a 429). */
function rateLimiter(intervalMs: number, burst: number): () => boolean {
  let tokens = burst
  let last = Date.now()
  return () => {
    const now = Date.now()
    tokens = Math.min(burst, tokens + (now - last) / intervalMs)
    last = now
    if (tokens < 1) return false
    tokens -= 1
    return true
  }
}

