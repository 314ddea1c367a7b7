// The one `tls:` setting of every probe kind that speaks TLS itself, and what
// it becomes for node:tls. A kind that cannot honour a key narrows the schema
// (`tlsSettings.pick(...)` / `.omit(...)`) rather than declaring its own.
import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import { ProbeError } from '../../src/probe.js'
import { readableFile } from '../../src/settings/fields.js'

export const tlsSettings = z.strictObject({
  /** PEM file of the CA to trust instead of the system's. */
  ca_file: readableFile.optional(),
  /** Skip certificate verification (opt-in; the connection is still encrypted). */
  insecure: z.boolean().default(false),
  /** SNI and the name to verify, when the URL's host is an address. */
  server_name: z.string().optional(),
})

/** `tls:` as a service holds it after validation, whichever keys its kind kept. */
export type TlsSettings = Partial<z.infer<typeof tlsSettings>>

/** The configured CA's PEM, read at each run (a renewed CA needs no reload); undefined means the system's roots. */
export async function loadCa(tls: TlsSettings | undefined): Promise<Buffer | undefined> {
  return tls?.ca_file ? readFile(tls.ca_file) : undefined
}

/** The node:tls client options the settings stand for, with the CA already loaded. */
export function tlsOptions(tls: TlsSettings | undefined, ca: Buffer | undefined): { ca?: Buffer; rejectUnauthorized: boolean; servername?: string } {
  return { ca, rejectUnauthorized: !tls?.insecure, ...(tls?.server_name ? { servername: tls.server_name } : {}) }
}

/** `tls:` settings with a plaintext URL are a mistake: said so, rather than a silent plaintext connection. */
export function refusePlaintextWithTls(tls: TlsSettings | undefined, url: URL, secureScheme: string): void {
  if (tls && url.protocol !== `${secureScheme}:`) {
    throw new ProbeError('error', `tls settings are given but the url is ${url.protocol}//; use ${secureScheme}:// for TLS`)
  }
}
