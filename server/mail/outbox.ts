import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Log } from '../log.ts';

/** One message as the templates write it: plain text, simple HTML, and the link it carries (for the log transport). */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  link: string;
}

/** Where messages go: an SMTP server, a folder of .eml files, or the server log. */
export interface MailTransport {
  readonly kind: 'smtp' | 'directory' | 'log';
  deliver(message: MailMessage): Promise<void>;
}

export interface MailSettings {
  /** SMTP_URL, e.g. smtp://user:pass@smtp.example.com:587 or smtps://…:465. */
  smtpUrl?: string;
  /** MAIL_DIR: each message is written there as an .eml file (a pickup folder, or for tests). */
  mailDir?: string;
  /** MAIL_FROM: the sender, e.g. `Lanes <lanes@example.com>`. */
  from: string;
}

export const DEFAULT_MAIL_FROM = 'Lanes <lanes@localhost>';

/**
 * `make()` the first time it is asked for, the same promise after. nodemailer (~3 MB of V8 heap once loaded) is
 * loaded by the first message sent, not at start: a server that sends none, or only logs them, never holds it.
 */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | null = null;
  return () => (made ??= make());
}

/** SMTP when SMTP_URL is set, else a folder when MAIL_DIR is set, else the log: `npm start` works with no mail server. */
export function mailTransport(settings: MailSettings, log: Log): MailTransport {
  if (settings.smtpUrl) {
    const smtpUrl = settings.smtpUrl;
    const smtp = once(async () => (await import('nodemailer')).createTransport(smtpUrl, { from: settings.from }));
    return {
      kind: 'smtp',
      deliver: async ({ to, subject, text, html }) => {
        await (await smtp()).sendMail({ to, subject, text, html });
      }
    };
  }
  if (settings.mailDir) {
    const dir = settings.mailDir;
    const composer = once(async () => (await import('nodemailer')).createTransport({ streamTransport: true, buffer: true }, { from: settings.from }));
    return {
      kind: 'directory',
      deliver: async ({ to, subject, text, html }) => {
        const { message } = await (await composer()).sendMail({ to, subject, text, html });
        await mkdir(dir, { recursive: true });
        const name = `${Date.now()}-${randomBytes(6).toString('hex')}.eml`;
        // Written aside, then renamed: a reader of the folder never sees half a message.
        await writeFile(join(dir, `.${name}.tmp`), message as Buffer);
        await rename(join(dir, `.${name}.tmp`), join(dir, name));
      }
    };
  }
  return {
    kind: 'log',
    deliver: async ({ to, subject, link }) => {
      log.info('mail not sent (no SMTP_URL): here it is', { to, subject, link });
    }
  };
}

/**
 * Messages leave in the background, one after another: a request never waits for the mail server, so an answer takes
 * the same time whether it sent a message or not, and a slow or failing server cannot hold requests up.
 */
export class Outbox {
  private queue: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(
    private readonly transport: MailTransport,
    private readonly log: Log
  ) {}

  get kind(): MailTransport['kind'] {
    return this.transport.kind;
  }

  post(message: MailMessage): void {
    this.waiting++;
    this.queue = this.queue
      .then(() => this.transport.deliver(message))
      // The link is a credential: a failure is logged without it.
      .catch((error: Error) => this.log.error('mail could not be sent', { to: message.to, subject: message.subject, error: error.message }))
      .finally(() => this.waiting--);
  }

  /** Resolves once every message posted so far has been handed over (or has failed). */
  async drained(): Promise<void> {
    while (this.waiting > 0) await this.queue;
  }
}
