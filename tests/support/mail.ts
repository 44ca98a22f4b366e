import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message as a test reads it: who it went to, and its parts, decoded. */
export interface ReceivedMail {
  to: string;
  from: string;
  subject: string;
  text: string;
  html: string;
}

/** The link in a message whose path matches `path` (e.g. /\/verify\//); throws when there is none. */
export function linkIn(mail: ReceivedMail, path: RegExp): string {
  const link = (mail.text.match(/https?:\/\/\S+/g) ?? []).find((candidate) => path.test(new URL(candidate).pathname));
  if (!link) throw new Error(`no link matching ${path} in "${mail.subject}":\n${mail.text}`);
  return link;
}

/** The secret at the end of a link: /verify/<token>, /reset-password/<token>, /invite/<token>. */
export const tokenOf = (link: string) => new URL(link).pathname.split('/').pop()!;

async function parse(raw: Buffer | string): Promise<ReceivedMail> {
  const parsed = await simpleParser(raw);
  const addresses = (field: AddressObject | AddressObject[] | undefined) =>
    (Array.isArray(field) ? field : field ? [field] : []).flatMap((object) => object.value.map((entry) => entry.address ?? '')).join(', ');
  return { to: addresses(parsed.to), from: addresses(parsed.from), subject: parsed.subject ?? '', text: parsed.text ?? '', html: typeof parsed.html === 'string' ? parsed.html : '' };
}

/** Something that receives the server's mail: wait for a message to an address. */
export interface Mailbox {
  all(): Promise<ReceivedMail[]>;
  waitFor(to: string, subject?: RegExp, timeoutMs?: number): Promise<ReceivedMail>;
}

async function waitIn(mailbox: Mailbox, to: string, subject: RegExp | undefined, timeoutMs: number): Promise<ReceivedMail> {
  const started = Date.now();
  for (;;) {
    const found = (await mailbox.all()).filter((mail) => mail.to.toLowerCase() === to.toLowerCase() && (!subject || subject.test(mail.subject)));
    if (found.length) return found[found.length - 1];
    if (Date.now() - started > timeoutMs) throw new Error(`no mail to ${to}${subject ? ` matching ${subject}` : ''} arrived`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const temporaryFolders = new Set<MailFolder>();

/** The MAIL_DIR a test server writes to (one .eml per message), read back with mailparser. */
export class MailFolder implements Mailbox {
  private readonly parsed = new Map<string, ReceivedMail>();

  constructor(readonly dir: string) {}

  /** A fresh folder, removed when the test process exits. */
  static temporary(): MailFolder {
    const folder = new MailFolder(mkdtempSync(join(tmpdir(), 'lanes-mail-')));
    if (temporaryFolders.size === 0) process.once('exit', () => temporaryFolders.forEach((each) => each.dispose()));
    temporaryFolders.add(folder);
    return folder;
  }

  async all(): Promise<ReceivedMail[]> {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((name) => name.endsWith('.eml') && !name.startsWith('.')).sort();
    } catch {
      return [];
    }
    for (const name of names) if (!this.parsed.has(name)) this.parsed.set(name, await parse(readFileSync(join(this.dir, name))));
    return names.map((name) => this.parsed.get(name)!);
  }

  waitFor(to: string, subject?: RegExp, timeoutMs = 10_000): Promise<ReceivedMail> {
    return waitIn(this, to, subject, timeoutMs);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Which mailbox each test server (by its URL) delivers to, so `signUp(server.url)` can confirm the address. */
export const mailboxes = new Map<string, Mailbox>();

/** A real SMTP server (smtp-server) on a free port of 127.0.0.1: point SMTP_URL at `url` and read what arrived. */
export class SmtpReceiver implements Mailbox {
  readonly received: ReceivedMail[] = [];
  /** Envelope recipients as the SMTP dialogue gave them (RCPT TO), one list per message. */
  readonly envelopes: string[][] = [];

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number
  ) {}

  static async start(): Promise<SmtpReceiver> {
    let receiver: SmtpReceiver | undefined;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, done) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          parse(Buffer.concat(chunks)).then(
            (mail) => {
              receiver!.envelopes.push(session.envelope.rcptTo.map((recipient) => recipient.address));
              receiver!.received.push(mail);
              done();
            },
            (error: Error) => done(error)
          );
        });
      }
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.server.address() as { port: number }).port));
    });
    receiver = new SmtpReceiver(server, port);
    return receiver;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async all(): Promise<ReceivedMail[]> {
    return this.received;
  }

  waitFor(to: string, subject?: RegExp, timeoutMs = 10_000): Promise<ReceivedMail> {
    return waitIn(this, to, subject, timeoutMs);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
