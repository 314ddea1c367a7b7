// The amqp(s):// URL as RabbitMQ's URI spec reads it, and how it is shown.
import { formatEndpoint, urlEndpoint, urlWith, userInfo, type Endpoint } from '../lib/target.js'

const PORTS = { 'amqp:': 5672, 'amqps:': 5671 }

export interface AmqpEndpoint extends Endpoint {
  tls: boolean
  vhost: string
  username: string
  password: string
}

/** The `url:` setting: the user, password and vhost must decode, since they are sent decoded. */
export const amqpUrl = urlWith('amqp', 'amqps').refine((text) => {
  try {
    endpoint(text)
    return true
  } catch {
    return false
  }
}, 'expected the user, password and vhost of the URL to be valid percent-encoding, e.g. amqp://user:pass@host:5672/%2F')

/**
 * The vhost is the percent-decoded path (`/` when there is none, `%2F` for
 * `/` itself); no user info means guest/guest, as every AMQP client assumes.
 * Query parameters (heartbeat, frame_max ...) are not used: the probe sets
 * its own.
 */
export function endpoint(raw: string): AmqpEndpoint {
  const url = new URL(raw)
  const user = userInfo(url)
  const hasUser = user.username !== undefined || user.password !== undefined
  return {
    ...urlEndpoint(url, PORTS),
    tls: url.protocol === 'amqps:',
    vhost: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : '/',
    username: hasUser ? (user.username ?? '') : 'guest',
    password: hasUser ? (user.password ?? '') : 'guest',
  }
}

/** `host:port/vhost`, never the credentials. */
export function targetOf(raw: string): string {
  const ep = endpoint(raw)
  return `${formatEndpoint(ep)}/${ep.vhost}`
}
