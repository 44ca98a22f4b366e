/**
 * Links in e-mails point at PUBLIC_URL, never at the request's Host header: anyone can send any Host, and a reset link
 * built from it would carry a victim's token to the sender's own site. Normalised once at start.
 */
export class PublicLinks {
  readonly origin: string;

  constructor(publicUrl: string) {
    const url = new URL(publicUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('PUBLIC_URL must be an http(s) URL');
    this.origin = url.origin + url.pathname.replace(/\/+$/, '');
  }

  to(path: string): string {
    return this.origin + path;
  }

  verifySignup = (token: string) => this.to(`/verify/${token}`);
  resetPassword = (token: string) => this.to(`/reset-password/${token}`);
  forgotPassword = () => this.to('/forgot-password');
  signIn = () => this.to('/login');
  invite = (token: string) => this.to(`/invite/${token}`);
}
