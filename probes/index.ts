// The probe kinds groundtruth knows. Adding a kind: one file beside this one,
// its tests, and one line here.
import { probeKinds, type ProbeKinds } from '../src/probe.js'
import container from './container/index.js'
import elasticsearch from './elasticsearch.js'
import http from './http.js'
import minio from './minio.js'
import postgres from './postgres/index.js'
import rabbitmq from './rabbitmq/index.js'
import redis from './redis.js'
import tcp from './tcp.js'

export const PROBE_KINDS: ProbeKinds = probeKinds(http, tcp, postgres, redis, rabbitmq, elasticsearch, minio, container)
