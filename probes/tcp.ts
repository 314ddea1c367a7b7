// TCP probe: a connection to host:port, optionally a line sent and a banner
// expected back (SMTP, SSH, Redis' inline PING ...).
import { Socket } from 'node:net'
import { z } from 'zod'
import { defineProbe, ProbeError, type CheckResult } from '../src/probe.js'
import { expectations, regex, type Pattern } from '../src/settings/fields.js'
import { abortable } from './lib/abort.js'
import { configured } from './lib/checks.js'
import { parseAddress, socketAddress } from './lib/target.js'

/** Bytes of banner read at most: enough for any greeting, bounded for a hostile peer. */
const MAX_BANNER = 4096

const settings = {
  address: socketAddress,
  /** Sent after connecting; `\n` and `\r` escapes are honoured as YAML writes them. */
  send: z.string().optional(),
  expect: expectations({
    banner_contains: z.string().optional(),
    banner_matches: regex.optional(),
  }).prefault({}),
}

export default defineProbe({
  kind: 'tcp',
  settings,

  checkNames: (svc) => configured(svc.expect, ['banner_contains', 'banner_matches']),

  target: (svc) => `tcp://${svc.address}`,

  // What is sent may be a credential (`AUTH ...`): masked wherever a peer echoes it.
  secrets(svc, into) {
    into.add(svc.send)
    into.add(svc.send?.trim())
  },

  async run(svc, ctx) {
    const { host, port } = parseAddress(svc.address)
    const started = performance.now()
    const wantsBanner = svc.expect.banner_contains !== undefined || svc.expect.banner_matches !== undefined
    const socket = new Socket()
    try {
      const reading = new Promise<string>((resolve, reject) => {
        let received = ''
        socket.on('error', reject)
        socket.on('close', () => resolve(received))
        socket.connect(port, host, () => {
          if (svc.send !== undefined) socket.write(svc.send)
          if (!wantsBanner) resolve('')
        })
        socket.on('data', (chunk: Buffer) => {
          received += chunk.toString('utf8')
          if (received.length >= MAX_BANNER || bannerComplete(received, svc.expect)) {
            received = received.slice(0, MAX_BANNER)
            resolve(received)
            // Nothing more is read: what the peer still sends stays in the kernel until the socket is destroyed.
            socket.pause()
          }
        })
      })
      const banner = await abortable(reading, ctx.signal)
      const latencyMs = performance.now() - started
      const checks: CheckResult[] = []
      // Masked before it is cut, so a secret the peer echoes cannot leak its first characters.
      const safe = ctx.secrets.redact(banner)
      const shown = JSON.stringify(safe.length > 80 ? `${safe.slice(0, 77)}...` : safe)
      if (svc.expect.banner_contains !== undefined) {
        checks.push({ name: 'banner_contains', ok: banner.includes(svc.expect.banner_contains), detail: `banner ${shown}` })
      }
      if (svc.expect.banner_matches !== undefined) {
        checks.push({ name: 'banner_matches', ok: svc.expect.banner_matches.test(banner), detail: `banner ${shown}` })
      }
      if (wantsBanner && banner === '') throw new ProbeError('expectation', 'connection closed before any banner arrived')
      return { checks, info: { latency_ms: Math.round(latencyMs) }, latency: { ms: latencyMs } }
    } finally {
      socket.destroy()
    }
  },
})

/** Stop reading as soon as the banner satisfies the expectations, without waiting for the timeout. */
function bannerComplete(received: string, expect: { banner_contains?: string; banner_matches?: Pattern }): boolean {
  const containsOk = expect.banner_contains === undefined || received.includes(expect.banner_contains)
  const matchesOk = expect.banner_matches === undefined || expect.banner_matches.test(received)
  return (containsOk && matchesOk) || received.includes('\n')
}
