import nodemailer, { type Transporter } from 'nodemailer';
import type { FastifyBaseLogger } from 'fastify';

/** One mail, in both forms every client can show. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Sends Parley's mail through the operator's SMTP server (SMTP_URL). Sending happens after the
 * request is answered: a slow or failing mail server never delays or fails the request (and a
 * "forgot password" answer never takes longer for an address that has an account). Failures
 * are logged; the person can ask again.
 */
export class Mailer {
  private readonly transport: Transporter;
  /** Mails handed over and not yet answered by the SMTP server (so shutdown and tests can wait). */
  private readonly sending = new Set<Promise<void>>();

  constructor(
    smtpUrl: string,
    private readonly from: string,
    private readonly log: FastifyBaseLogger,
  ) {
    this.transport = nodemailer.createTransport(smtpUrl);
  }

  /** Queues the mail and returns at once. */
  send(mail: Mail): void {
    const sent = this.transport
      .sendMail({ from: this.from, ...mail })
      .then(() => undefined)
      .catch((error: unknown) => this.log.error({ err: error, subject: mail.subject }, 'could not send mail'))
      .finally(() => this.sending.delete(sent));
    this.sending.add(sent);
  }

  /** Resolves once every mail queued so far was accepted or failed. */
  async idle(): Promise<void> {
    await Promise.all([...this.sending]);
  }

  async close(): Promise<void> {
    await this.idle();
    this.transport.close();
  }
}
