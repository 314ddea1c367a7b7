// mongodb-mock-server ships no types; the tests use only this much of it.
declare module 'mongodb-mock-server' {
  import type { Socket } from 'node:net'

  export interface MockRequest {
    /** The command document (OP_QUERY on admin.$cmd / <db>.$cmd). */
    document: Record<string, unknown>
    connection: Socket
    /** The OP_QUERY itself: `ns` is "<db>.$cmd". */
    response: { ns: string; requestId: number }
    reply(documents: Record<string, unknown> | Record<string, unknown>[], options?: Record<string, unknown>): void
  }

  export interface MockServer {
    host: string
    port: number
    /** The listening server itself. */
    server: import('node:net').Server
    setMessageHandler(handler: (request: MockRequest) => void): void
    destroy(): Promise<void>
  }

  const mock: {
    createServer(port?: number, host?: string, options?: { tls?: boolean; key?: Buffer; cert?: Buffer }): Promise<MockServer>
    cleanup(): Promise<void>
    DEFAULT_ISMASTER: Record<string, unknown>
  }
  export default mock
}
