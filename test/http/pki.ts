// A private PKI made with the real openssl CLI: one CA, a server certificate
// for 127.0.0.1/localhost, a client certificate it signs, and a client
// certificate from another CA that the server must refuse.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface Pki {
  dir: string
  /** Paths, relative to `dir`. */
  files: { ca: string; serverCert: string; serverKey: string }
  ca: Buffer
  client: { cert: Buffer; key: Buffer }
  stranger: { cert: Buffer; key: Buffer }
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'gt-pki-'))
  const f = (name: string) => join(dir, name)
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' })
  const ca = (name: string) => openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.pem`), '-days', '2', '-subj', `/CN=groundtruth ${name}`)
  const leaf = (name: string, signer: string, san: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`)
    writeFileSync(f(`${name}.cnf`), `subjectAltName=${san}\n`)
    openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${signer}.pem`), '-CAkey', f(`${signer}.key`), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '2', '-extfile', f(`${name}.cnf`))
  }
  ca('ca')
  ca('other-ca')
  leaf('server', 'ca', 'DNS:localhost,IP:127.0.0.1')
  leaf('client', 'ca', 'DNS:prometheus.example')
  leaf('stranger', 'other-ca', 'DNS:prometheus.example')
  const read = (name: string) => readFileSync(f(name))
  return {
    dir,
    files: { ca: 'ca.pem', serverCert: 'server.pem', serverKey: 'server.key' },
    ca: read('ca.pem'),
    client: { cert: read('client.pem'), key: read('client.key') },
    stranger: { cert: read('stranger.pem'), key: read('stranger.key') },
  }
}
