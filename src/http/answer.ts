// One whole plain answer on node:http, as the scrape paths and the gate send it.
import type { ServerResponse } from 'node:http'

const TEXT = 'text/plain; charset=utf-8'

/** One whole answer with its length (node:http leaves the body out of a HEAD answer). */
export function send(res: ServerResponse, status: number, body: string | Buffer, contentType = TEXT): void {
  res.statusCode = status
  res.setHeader('Content-Type', contentType)
  res.setHeader('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : body.length)
  res.end(body)
}
