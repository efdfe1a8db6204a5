/** The little of @20minutes/s3rver (no types of its own) the tests use: a Koa app serving S3's API from a directory. */
declare module '@20minutes/s3rver' {
  import type { Server } from 'node:http';
  import type { AddressInfo } from 'node:net';

  export default class S3rver {
    constructor(options: { address: string; port: number; directory: string; silent: boolean; allowMismatchedSignatures: boolean; configureBuckets: { name: string }[] });
    /** Koa's middleware list: what runs before S3rver's own routes goes first. */
    middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)[];
    run(): Promise<AddressInfo>;
    httpServer?: Server;
    close(): Promise<void>;
  }

  interface KoaContext {
    method: string;
    path: string;
    query: Record<string, string | undefined>;
    status: number;
    body: unknown;
  }
}
