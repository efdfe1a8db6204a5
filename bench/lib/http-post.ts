import http from 'node:http';

/**
 * JSON POSTs over kept-alive connections with node:http, for the bench's senders. The senders
 * share a core with the receivers whose reading they time, and Node's fetch (undici) took ~2.4
 * ms of CPU per send here against ~0.9 for this, spent while the receivers read that message's
 * fan-out (bench/README.md, issue 17 sixth pass). Idle kept-alive sockets do not hold the
 * process open (node:http unrefs them).
 */
export class JsonPoster {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(private readonly baseUrl: string) {}

  /** Resolves with the answer's body on a 2xx status; rejects with the status and body otherwise. */
  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<string> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const request = http.request(
        `${this.baseUrl}${path}`,
        { method: 'POST', agent: this.agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(text);
            else reject(new Error(`POST ${path} answered ${status}: ${text.slice(0, 200)}`));
          });
          response.on('error', reject);
        },
      );
      request.setTimeout(30_000, () => request.destroy(new Error(`POST ${path} timed out`)));
      request.on('error', reject);
      request.end(payload);
    });
  }
}
