// --web.config.file is parsed strictly: every problem names the file, the
// line and the key path, never a value (a bcrypt hash, an inline key), and
// `serve` exits 2 on one before anything starts.
import bcrypt from 'bcryptjs'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { main, type Io } from '../../src/cli.js'
import { ConfigError } from '../../src/config/errors.js'
import { loadWebConfig, parseWebConfig } from '../../src/http/web-config.js'
import { writeConfig } from '../helpers/config.js'
import { makePki } from './pki.js'

const HASH = bcrypt.hashSync('pl4nted-web-Pa55-1187', 4)
const pki = makePki()

const problems = (yaml: string) => {
  try {
    parseWebConfig(yaml, join(pki.dir, 'web.yml'))
  } catch (err) {
    if (err instanceof ConfigError) return err.message
    throw err
  }
  return ''
}

t.test('a full exporter-toolkit file: paths relative to the web config, headers, users, notes', async (t) => {
  const file = join(pki.dir, 'full.yml')
  writeFileSync(
    file,
    `tls_server_config:
  cert_file: ${pki.files.serverCert}
  key_file: ${pki.files.serverKey}
  client_ca_file: ${pki.files.ca}
  client_auth_type: RequireAndVerifyClientCert
  min_version: TLS13
  cipher_suites: [TLS_AES_128_GCM_SHA256]
  prefer_server_cipher_suites: true
  curve_preferences: [X25519]
http_server_config:
  http2: true
  headers:
    x-frame-options: SAMEORIGIN
    X-XSS-Protection: ""
basic_auth_users:
  alice: ${HASH}
rate_limit: { interval: 1s, burst: 10 }
`,
  )
  const web = await loadWebConfig(file)
  t.same(web.tls?.cert, readFileSync(join(pki.dir, pki.files.serverCert)))
  t.same(web.tls?.clientCa, pki.ca)
  t.match(web.tls, { clientAuth: 'RequireAndVerifyClientCert', minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', clientAllowedSans: [] })
  t.same(web.headers, { 'X-Frame-Options': 'SAMEORIGIN' }, 'canonical names; a blank value is unset')
  t.same([...web.users.keys()], ['alice'])
  t.same(web.rateLimit, { intervalMs: 1000, burst: 10 })
  t.equal(web.notes.length, 4, 'cipher_suites, prefer_server_cipher_suites, curve_preferences and http2 accepted with a note')

  const inline = parseWebConfig(`tls_server_config: { cert: "${'x'}", key: "y" }\nbasic_auth_users: {}\n`, file)
  t.same(inline.tls?.cert, Buffer.from('x'))
  t.match(inline.tls, { clientAuth: 'NoClientCert', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' })
  t.equal(inline.users.size, 0)
  t.same(parseWebConfig('', file), { file, tls: undefined, users: new Map(), headers: {}, rateLimit: undefined, notes: [] }, 'an empty file locks nothing')
})

t.test('problems name the file, line and key path, and never echo a value', async (t) => {
  const f = join(pki.dir, 'web.yml')
  t.match(problems('tls_server_config:\n  cert_file: a.pem\n  key_file: b.pem\n  client_auth: x\n'), `${f}:4:3: tls_server_config.client_auth: unknown key`)
  t.match(problems('tls_server_config:\n  cert_file: nope.pem\n  key_file: nope.key\n'), /web\.yml:2:3: tls_server_config\.cert_file: cannot read the file \(ENOENT\)/)
  t.match(problems(`tls_server_config:\n  cert_file: ${pki.files.serverCert}\n`), /tls_server_config\.key_file: missing/)
  t.match(problems(`tls_server_config:\n  cert_file: ${pki.files.serverCert}\n  key_file: ${pki.files.serverKey}\n  client_auth_type: Maybe\n`), /:4:3: tls_server_config\.client_auth_type: expected one of NoClientCert, RequestClientCert/)
  t.match(problems(`tls_server_config:\n  cert_file: ${pki.files.serverCert}\n  key_file: ${pki.files.serverKey}\n  client_auth_type: RequireAndVerifyClientCert\n`), /tls_server_config\.client_ca_file: missing/)
  t.match(problems(`tls_server_config:\n  cert_file: ${pki.files.serverCert}\n  key_file: ${pki.files.serverKey}\n  client_ca_file: ${pki.files.ca}\n`), /tls_server_config\.client_auth_type: client_ca_file is set but client_auth_type is NoClientCert/)
  t.match(problems(`tls_server_config:\n  cert_file: ${pki.files.serverCert}\n  key_file: ${pki.files.serverKey}\n  client_allowed_sans: [a]\n`), /tls_server_config\.client_allowed_sans: expected client_auth_type/)
  t.match(problems(`tls_server_config:\n  cert_file: ${pki.files.serverCert}\n  key_file: ${pki.files.serverKey}\n  min_version: TLS13\n  max_version: TLS12\n`), /min_version not above max_version/)
  t.match(problems(`tls_server_config:\n  cert: x\n  cert_file: ${pki.files.serverCert}\n  key: y\n`), /tls_server_config\.cert: set either cert or cert_file/)
  t.match(problems('http_server_config:\n  headers:\n    Server: evil\n'), /:3:5: http_server_config\.headers\.Server: header not allowed/)
  t.match(problems('http_server_config:\n  headers:\n    X-Frame-Options: allow\n'), /http_server_config\.headers\.X-Frame-Options: invalid value; expected deny or sameorigin/)
  t.match(problems('rate_limit: { interval: soon }\n'), /rate_limit\.interval: expected a duration/)
  t.match(problems('basic_auth_users: [alice]\n'), /basic_auth_users: /)
  t.match(problems('- a\n'), /expected a mapping/)
  t.match(problems('a: [\n'), /invalid YAML/)
  t.match(problems('a: 1\na: 2\n'), /invalid YAML/)

  const truncated = HASH.slice(0, -1)
  const bad = problems(`basic_auth_users:\n  alice: "${truncated}"\n  bob: s3cret-plaintext-0042\n  "a:b": ${HASH}\n`)
  t.match(bad, /:2:3: basic_auth_users\.alice: expected a bcrypt hash/)
  t.match(bad, /:3:3: basic_auth_users\.bob: expected a bcrypt hash/)
  t.match(bad, /basic_auth_users\.a:b: expected a user name without ":"/)
  t.notOk(bad.includes(truncated) || bad.includes('s3cret-plaintext-0042'), 'no hash or password in the message')
  const key = problems('tls_server_config: { cert: "-----BEGIN CERTIFICATE-----", key: "-----BEGIN PRIVATE KEY----- s3cret", bogus: 1 }\n')
  t.notOk(key.includes('s3cret'), 'no inline key in the message')
})

t.test('serve: a bad or missing web config exits 2 before anything starts, naming the file', async (t) => {
  const { dir, file } = writeConfig('services: []\n')
  const capture = () => {
    const io: Io & { err: string } = { err: '', stdout: () => {}, stderr: (s) => void (io.err += s), isTTY: false, cwd: dir, env: {} }
    return io
  }
  const webDir = mkdtempSync(join(tmpdir(), 'gt-web-'))
  writeFileSync(join(webDir, 'web.yml'), `basic_auth_users:\n  alice: not-a-hash-s3cret\n`)
  const io = capture()
  t.equal(await main(['serve', '--config', file, '--listen', '127.0.0.1:1', '--web.config.file', join(webDir, 'web.yml')], io), 2)
  t.match(io.err, /invalid configuration\n.*web\.yml:2:3: basic_auth_users\.alice: expected a bcrypt hash/)
  t.notOk(io.err.includes('not-a-hash-s3cret'))
  const missing = capture()
  t.equal(await main(['serve', '--config', file, '--web.config.file', 'nope.yml'], missing), 2)
  t.match(missing.err, /nope\.yml: web config file not found/)
})
