import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A mail as the test SMTP server received it. */
export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/**
 * A real SMTP server on 127.0.0.1 (the `smtp-server` package) that keeps what it receives, for
 * tests that follow the links in Parley's mail. It asks for a login, as the operator's server
 * would, and accepts one user: `parley` / `secret`.
 */
export class TestMailServer {
  readonly received: ReceivedMail[] = [];
  private waiters: { match: (mail: ReceivedMail) => boolean; resolve: (mail: ReceivedMail) => void }[] = [];

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1, on `port` (0: any free one). */
  static async start(port = 0): Promise<TestMailServer> {
    let self: TestMailServer | null = null;
    const server = new SMTPServer({
      secure: false,
      // Plain SMTP on loopback: no STARTTLS to offer, so login must be allowed without it.
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth(auth, _session, callback) {
        if (auth.username === 'parley' && auth.password === 'secret') callback(null, { user: auth.username });
        else callback(new Error('Invalid username or password'));
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((parsed) => {
            self!.deliver({
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
            });
            callback();
          })
          .catch((error: Error) => callback(error));
      },
      logger: false,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    self = new TestMailServer(server, (server.server.address() as AddressInfo).port);
    return self;
  }

  /** SMTP_URL for a Parley server that should send here. */
  get url(): string {
    return `smtp://parley:secret@127.0.0.1:${this.port}`;
  }

  /** The next mail (or one already received and not yet taken) to `address` whose subject matches. */
  async next(address: string, subject: RegExp = /./, timeoutMs = 10_000): Promise<ReceivedMail> {
    const match = (mail: ReceivedMail) => mail.to.includes(address) && subject.test(mail.subject);
    const already = this.received.findIndex(match);
    if (already >= 0) return this.received.splice(already, 1)[0]!;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`No mail to ${address} matching ${subject} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (mail) => {
          clearTimeout(timer);
          resolve(mail);
        },
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private deliver(mail: ReceivedMail): void {
    const waiter = this.waiters.find((w) => w.match(mail));
    if (!waiter) {
      this.received.push(mail);
      return;
    }
    this.waiters.splice(this.waiters.indexOf(waiter), 1);
    waiter.resolve(mail);
  }
}

/** The token of the link in a mail from Parley (`…/verify-email#token=…`). */
export function linkToken(mail: ReceivedMail, page: 'verify-email' | 'reset-password'): string {
  const match = new RegExp(`/${page}#token=([A-Za-z0-9_-]{43})`).exec(mail.text);
  if (!match) throw new Error(`No ${page} link in: ${mail.text}`);
  return match[1]!;
}
