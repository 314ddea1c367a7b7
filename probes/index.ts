// The probe kinds groundtruth knows. Adding a kind: one file beside this one,
// its tests, and one line here.
import type { ProbeKind } from '../src/probe.js'
import http from './http.js'
import tcp from './tcp.js'

export const PROBE_KINDS: ReadonlyMap<string, ProbeKind> = new Map(
  ([http, tcp] as unknown as ProbeKind[]).map((kind) => [kind.kind, kind]),
)
