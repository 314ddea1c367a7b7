// Where a probe points: the URL and `host:port` settings, their parsing, and
// how an endpoint is shown. Three different things were once all called
// "hostPort"; here each has its own name:
//   socketAddress   the setting: a `host:port` string, validated at load
//   parseAddress    that setting split into host and port
//   formatEndpoint  host and port shown as text (`[::1]:6379`), for targets
import { z } from 'zod'

/** A host (an IPv6 literal without its brackets) and a port. */
export interface Endpoint {
  host: string
  port: number
}

/**
 * A URL setting with one of the given schemes, a host, and no "@" the URL
 * parser left outside the user info: `redis://:pa/ss@host` would otherwise
 * be read with its password's tail as the path and shown as the target.
 * Messages name what was expected, never the value (it may hold a password).
 */
export function urlWith(...schemes: string[]) {
  const expected = `expected a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}`
  return z.string({ error: expected }).superRefine((text, ctx) => {
    // `continue: false`: a kind's own checks of the URL do not run on one that failed here.
    const fail = (message: string) => ctx.addIssue({ code: 'custom', message, continue: false })
    let url: URL
    try {
      url = new URL(text)
    } catch {
      fail(text.includes('@') ? `${expected}; characters such as "/", "?", "#" and "@" in a user or password must be percent-encoded (%2F, %3F, %23, %40)` : expected)
      return
    }
    if (!schemes.includes(url.protocol.slice(0, -1))) return fail(expected)
    // A host-less `redis:///0` would silently mean localhost.
    if (!url.hostname) return fail(`expected a host in the URL, as in ${schemes[0]}://host:port`)
    const rest = text.slice(text.indexOf('//') + 2)
    if (!url.username && !url.password && rest.includes('@')) {
      fail('expected no "@" outside the user info: a password containing "/", "?" or "#" must be percent-encoded (%2F, %3F, %23), and an "@" elsewhere written as %40')
    }
  })
}

/** A `host:port` setting, the address form of sockets. */
export const socketAddress = z.string().refine((text) => {
  const m = /^(\[[0-9a-f:.]+\]|[^:\s]+):(\d{1,5})$/i.exec(text)
  return !!m && Number(m[2]) > 0 && Number(m[2]) < 65536
}, 'expected "host:port" with a port from 1 to 65535')

/** Splits a validated `host:port` setting. */
export function parseAddress(address: string): Endpoint {
  const at = address.lastIndexOf(':')
  return { host: unbracket(address.slice(0, at)), port: Number(address.slice(at + 1)) }
}

/**
 * Host and port of a URL, the scheme's default port when none is written
 * (`defaultPort` per protocol, as `new URL` gives it: `'https:'`). No host
 * means localhost, as the clients of these services assume.
 */
export function urlEndpoint(url: URL, defaultPorts: Record<string, number>): Endpoint {
  return { host: unbracket(url.hostname) || 'localhost', port: url.port ? Number(url.port) : (defaultPorts[url.protocol] ?? 0) }
}

/** Default ports of http:// and https://, for `urlEndpoint`. */
export const HTTP_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 }

/** `host:port`, an IPv6 host in brackets: how a target is shown. */
export function formatEndpoint({ host, port }: Endpoint): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** The URL's user and password, percent-decoded; absent when not written. */
export function userInfo(url: URL): { username?: string; password?: string } {
  return {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  }
}

function unbracket(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1')
}
