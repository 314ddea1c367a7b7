// The TLS concern's fact and gauge: when the certificate a service presented
// expires. Any kind that completes a TLS handshake may report it; the gauge is
// registered once however many kinds list this collector.
import { collector, gauge, series } from '../../src/exposition/metric.js'
import type { FactRow } from '../../src/probe.js'

export interface TlsFacts {
  /** Epoch milliseconds when the presented certificate expires. */
  certExpiresAt: number
}

declare module '../../src/probe.js' {
  interface Facts {
    tls: TlsFacts
  }
}

export const TLS_CERT_EXPIRY = gauge(
  'groundtruth_tls_cert_expiry_timestamp_seconds',
  'When the certificate the service presented expires (Unix time), from the last scheduled run, not measured at scrape time',
  ['service'],
)

export const tlsCollector = collector<readonly FactRow[]>('tls', [
  series(TLS_CERT_EXPIRY, (rows, emit) => {
    for (const r of rows) if (r.facts.tls) emit({ service: r.service }, r.facts.tls.certExpiresAt / 1000)
  }),
])
