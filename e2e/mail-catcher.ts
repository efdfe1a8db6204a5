/**
 * The journeys' mail server, started by playwright.config.ts before Parley: a real SMTP server
 * (the API tests' TestMailServer) on E2E_SMTP_PORT, and a small HTTP endpoint on E2E_MAIL_PORT
 * that hands a spec the next mail to an address: `GET /next?to=…&subject=…` waits for it (at most
 * 15 s, then 404), so specs wait for the mail itself rather than polling or sleeping.
 */
import http from 'node:http';
import { TestMailServer } from '../packages/server/src/testing/mail';

const smtpPort = Number(process.env.E2E_SMTP_PORT ?? 18_025);
const httpPort = Number(process.env.E2E_MAIL_PORT ?? 18_026);
const mail = await TestMailServer.start(smtpPort);

http
  .createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/health') return void response.end('ok');
    const to = url.searchParams.get('to');
    if (url.pathname !== '/next' || !to) return void response.writeHead(400).end('GET /next?to=<address>&subject=<regexp>');
    mail
      .next(to, new RegExp(url.searchParams.get('subject') ?? '.'), 15_000)
      .then((received) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received)))
      .catch((error: Error) => response.writeHead(404).end(error.message));
  })
  .listen(httpPort, '127.0.0.1');
