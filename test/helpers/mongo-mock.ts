// A MongoDB stand-in for the mongodb probe's tests: no MongoDB server can be
// installed on this machine. mongodb-mock-server (old: OP_QUERY only, a hello
// of wire version 5 that driver v7 refuses) with a modern hello (wire version
// 21; `__nodejs_mock_server__` in it makes the driver speak OP_QUERY), and the
// commands the probe sends: hello/isMaster, ping, buildInfo, listDatabases,
// listCollections, replSetGetStatus, endSessions, and SCRAM-SHA-256 as mongod
// runs it (saslStart/saslContinue), so a right password logs in and a wrong
// one is refused with code 18 AuthenticationFailed.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Socket } from 'node:net'
import mock, { type MockRequest, type MockServer } from 'mongodb-mock-server'

export interface Member {
  name: string
  health: number
  state: number
  stateStr: string
}

export interface Behaviour {
  /** Fields over a standalone's hello (setName, secondary, msg ...). */
  hello?: Record<string, unknown>
  /** SCRAM-SHA-256 users; with any, commands other than hello, ping and buildInfo want a logged-in connection (else code 13). */
  users?: Record<string, string>
  /** listDatabases' names (admin, config, local by default). */
  databases?: string[]
  /** listCollections' names, by database. */
  collections?: Record<string, string[]>
  /** replSetGetStatus' members; without them it answers NoReplicationEnabled. */
  members?: Member[]
  /** Commands refused with this code: 13 Unauthorized, 59 CommandNotFound (`hello` on a server before 4.4.2) ... */
  refuse?: Record<string, number>
  /** Commands never answered: a server that stops answering half-way. */
  hang?: string[]
}

export interface MongoMock {
  port: number
  /** `127.0.0.1:<port>`, as a replica set names its members. */
  address: string
  url: string
  /** Every command received, by name, in order. */
  commands: string[]
  /** The last document received of each command. */
  last: Map<string, Record<string, unknown>>
  /** Connections accepted so far. */
  accepted(): number
  set(behaviour: Behaviour): void
  close(): Promise<void>
}

/** A replica-set member as replSetGetStatus lists it. */
export function member(name: string, stateStr: 'PRIMARY' | 'SECONDARY' | 'ARBITER' | '(not reachable/healthy)', health = 1): Member {
  return { name, health, state: { PRIMARY: 1, SECONDARY: 2, ARBITER: 7, '(not reachable/healthy)': 8 }[stateStr], stateStr }
}

/** A mongodb-mock-server answering as a MongoDB 7.0 standalone, or as `behaviour` says (`set` changes it). */
export async function mongoMock(initial: Behaviour = {}, tls?: { key: Buffer; cert: Buffer }): Promise<MongoMock> {
  const server: MockServer = await mock.createServer(0, '127.0.0.1', tls ? { tls: true, ...tls } : {})
  let behaviour = initial
  const loggedIn = new WeakSet<Socket>()
  const scram = new WeakMap<Socket, { user: string; clientFirstBare: string; serverFirst: string; salt: Buffer }>()
  const commands: string[] = []
  const last = new Map<string, Record<string, unknown>>()
  let connectionId = 0
  let accepted = 0
  server.server.on('connection', () => accepted++)

  const hello = () => ({
    ...mock.DEFAULT_ISMASTER,
    ismaster: true,
    isWritablePrimary: true,
    helloOk: true,
    maxWireVersion: 21,
    minWireVersion: 0,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: ++connectionId,
    ...(behaviour.hello ?? {}),
    ok: 1,
  })

  server.setMessageHandler((req: MockRequest) => {
    const doc = req.document
    const cmd = Object.keys(doc)[0]!
    commands.push(cmd)
    last.set(cmd, doc)
    const db = req.response.ns.split('.')[0]!
    const fail = (code: number, errmsg: string, codeName?: string) => req.reply({ ok: 0, code, errmsg, ...(codeName ? { codeName } : {}) })
    if (behaviour.hang?.includes(cmd)) return
    const code = behaviour.refuse?.[cmd]
    if (code === 59) return fail(59, `no such command: '${cmd}'`, 'CommandNotFound')
    if (code !== undefined) return fail(code, `not authorized on admin to execute command { ${cmd}: 1 }`, code === 13 ? 'Unauthorized' : undefined)
    if (['hello', 'ismaster', 'isMaster'].includes(cmd)) return req.reply(hello())
    if (cmd === 'saslStart') return saslStart(req, doc)
    if (cmd === 'saslContinue') return saslContinue(req, doc)
    if (cmd === 'ping' || cmd === 'endSessions') return req.reply({ ok: 1 })
    if (cmd === 'buildInfo') return req.reply({ version: '7.0.14', ok: 1 })
    if (behaviour.users && !loggedIn.has(req.connection)) return fail(13, `command ${cmd} requires authentication`, 'Unauthorized')
    const wanted = (doc.filter as { name?: { $in?: string[] } } | undefined)?.name?.$in
    const pick = (names: string[]) => names.filter((n) => !wanted || wanted.includes(n)).map((name) => ({ name }))
    if (cmd === 'listDatabases') return req.reply({ databases: pick(behaviour.databases ?? ['admin', 'config', 'local']), ok: 1 })
    if (cmd === 'listCollections') return req.reply({ cursor: { id: 0, ns: `${db}.$cmd.listCollections`, firstBatch: pick(behaviour.collections?.[db] ?? []) }, ok: 1 })
    if (cmd === 'replSetGetStatus') {
      if (!behaviour.members) return fail(76, 'not running with --replSet', 'NoReplicationEnabled')
      return req.reply({ set: behaviour.hello?.setName, members: behaviour.members, ok: 1 })
    }
    return fail(59, `no such command: '${cmd}'`, 'CommandNotFound')
  })

  // SCRAM-SHA-256 (RFC 5802, RFC 7677), the server's side.
  const payloadOf = (doc: Record<string, unknown>) => {
    const p = doc.payload as Buffer | { value(asRaw: boolean): Buffer }
    return (Buffer.isBuffer(p) ? p : p.value(true)).toString('utf8')
  }
  const field = (message: string, key: string) => message.split(',').find((part) => part.startsWith(`${key}=`))?.slice(2) ?? ''
  const refuseLogin = (req: MockRequest) => req.reply({ ok: 0, code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' })
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest()
  function saslStart(req: MockRequest, doc: Record<string, unknown>): void {
    const clientFirst = payloadOf(doc)
    const clientFirstBare = clientFirst.slice(clientFirst.indexOf(',,') + 2)
    const user = field(clientFirstBare, 'n')
    if (doc.mechanism !== 'SCRAM-SHA-256' || behaviour.users?.[user] === undefined) return refuseLogin(req)
    const salt = createHash('sha256').update(`salt:${user}`).digest().subarray(0, 16)
    const serverFirst = `r=${field(clientFirstBare, 'r')}${randomBytes(12).toString('base64')},s=${salt.toString('base64')},i=4096`
    scram.set(req.connection, { user, clientFirstBare, serverFirst, salt })
    req.reply({ conversationId: 1, done: false, payload: Buffer.from(serverFirst), ok: 1 })
  }
  function saslContinue(req: MockRequest, doc: Record<string, unknown>): void {
    const state = scram.get(req.connection)
    const password = state && behaviour.users?.[state.user]
    if (!state || password === undefined) return refuseLogin(req)
    const clientFinal = payloadOf(doc)
    const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='))
    const salted = pbkdf2Sync(password, state.salt, 4096, 32, 'sha256')
    const clientKey = hmac(salted, 'Client Key')
    const authMessage = `${state.clientFirstBare},${state.serverFirst},${withoutProof}`
    const signature = hmac(createHash('sha256').update(clientKey).digest(), authMessage)
    const expected = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!))
    const proof = Buffer.from(field(clientFinal, 'p'), 'base64')
    if (proof.length !== expected.length || !timingSafeEqual(proof, expected)) return refuseLogin(req)
    loggedIn.add(req.connection)
    req.reply({ conversationId: 1, done: true, payload: Buffer.from(`v=${hmac(hmac(salted, 'Server Key'), authMessage).toString('base64')}`), ok: 1 })
  }

  return {
    port: server.port,
    address: `127.0.0.1:${server.port}`,
    url: `mongodb://127.0.0.1:${server.port}`,
    commands,
    last,
    accepted: () => accepted,
    set: (b) => (behaviour = b),
    close: () => server.destroy(),
  }
}
