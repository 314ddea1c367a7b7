// The probe kinds groundtruth knows. Adding a kind: one file beside this one,
// its tests, and one line here.
import { probeKinds, type ProbeKinds } from '../src/probe.js'
import container from './container/index.js'
import elasticsearch from './elasticsearch.js'
import file from './file.js'
import grpc from './grpc.js'
import http from './http.js'
import minio from './minio.js'
import nats from './nats.js'
import mongodb from './mongodb/index.js'
import mysql from './mysql/index.js'
import postgres from './postgres/index.js'
import rabbitmq from './rabbitmq/index.js'
import redis from './redis.js'
import tcp from './tcp.js'
import websocket from './websocket.js'

export const PROBE_KINDS: ProbeKinds = probeKinds(http, tcp, postgres, redis, rabbitmq, elasticsearch, minio, container, grpc, websocket, file, mysql, mongodb, nats)
