// The probe kinds groundtruth knows. Adding a kind: one file beside this one,
// its tests, and one line here.
import type { ProbeKind } from '../src/probe.js'
import elasticsearch from './elasticsearch.js'
import http from './http.js'
import minio from './minio.js'
import postgres from './postgres/index.js'
import rabbitmq from './rabbitmq/index.js'
import redis from './redis.js'
import tcp from './tcp.js'

// Each kind is typed by its own settings, and a function over one kind's
// settings is not a function over any settings: the list is widened once
// here. The config layer binds each service to its kind (bindProbe), so no
// caller ever hands a kind settings that are not its own.
const KINDS = [http, tcp, postgres, redis, rabbitmq, elasticsearch, minio] as unknown as ProbeKind[]

export const PROBE_KINDS: ReadonlyMap<string, ProbeKind> = new Map(KINDS.map((kind) => [kind.kind, kind]))
